/**
 * The mysfits catalogue as mysfits-api reads it: the handler sees only `MysfitCatalogue`; `dynamoCatalogue` is
 * the mysfits table behind it (PascalCase items of data/mysfits.json, answered as camelCase MysfitViews).
 */
import { GetItemCommand, ScanCommand, type DynamoDBClient, type ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { MYSFIT_FILTERS, MysfitView } from '../../system/api';
import { isWellFormedText } from '../shared/text';

export type FilterName = keyof typeof MYSFIT_FILTERS;
export type Filter = { attribute: FilterName; value: string };

export interface MysfitCatalogue {
  /** Every mysfit matching the filter (all without one), sorted by name. */
  list(filter?: Filter): Promise<MysfitView[]>;
  /** The mysfit, or undefined when there is none with that id. */
  get(mysfitId: string): Promise<MysfitView | undefined>;
}

function toView(item: Record<string, unknown>): MysfitView {
  return {
    mysfitId: String(item.MysfitId),
    name: String(item.Name),
    species: String(item.Species),
    age: Number(item.Age),
    goodEvil: item.GoodEvil as MysfitView['goodEvil'],
    lawChaos: item.LawChaos as MysfitView['lawChaos'],
    description: String(item.Description ?? ''),
    thumbImageUri: String(item.ThumbImageUri ?? ''),
    profileImageUri: String(item.ProfileImageUri ?? ''),
    likes: Number(item.Likes ?? 0),
    adopted: Boolean(item.Adopted),
  };
}

/**
 * DynamoDB's limit on a partition key value (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/
 * Constraints.html#limits-partition-sort-keys): a longer id cannot name a stored mysfit, and GetItem would fail.
 */
const MAX_KEY_BYTES = 2048;

export function dynamoCatalogue(dynamodb: Pick<DynamoDBClient, 'send'>, tableName: string): MysfitCatalogue {
  return {
    async list(filter) {
      const items: Record<string, unknown>[] = [];
      const input: ScanCommandInput = { TableName: tableName };
      if (filter) {
        input.FilterExpression = '#attribute = :value';
        input.ExpressionAttributeNames = { '#attribute': filter.attribute };
        input.ExpressionAttributeValues = marshall({ ':value': filter.value });
      }
      do {
        const page = await dynamodb.send(new ScanCommand(input));
        items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
        input.ExclusiveStartKey = page.LastEvaluatedKey;
      } while (input.ExclusiveStartKey);
      return items.map(toView).sort((a, b) => a.name.localeCompare(b.name));
    },
    async get(mysfitId) {
      // An id no key can hold names no mysfit: undefined without asking DynamoDB (which would refuse the key).
      if (!isWellFormedText(mysfitId) || Buffer.byteLength(mysfitId, 'utf8') > MAX_KEY_BYTES) return undefined;
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: tableName, Key: marshall({ MysfitId: mysfitId }) }),
      );
      return Item ? toView(unmarshall(Item)) : undefined;
    },
  };
}
