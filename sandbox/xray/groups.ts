/**
 * X-Ray groups: a name and a filter expression that GetServiceGraph and GetTimeSeriesServiceStatistics apply
 * when asked for a GroupName or GroupARN. CreateGroup, GetGroup, GetGroups, UpdateGroup and DeleteGroup, with
 * the rules of the API reference (https://docs.aws.amazon.com/xray/latest/api/API_CreateGroup.html):
 * a name of 1 to 32 characters, case-sensitive and unique; `Default` is reserved and always present;
 * NotificationsEnabled only with InsightsEnabled. Groups live as long as the daemon's store.
 */
import { createHash } from 'node:crypto';
import { invalidRequest, optionalString, parseFilterField, type ApiResponse, type Body } from './api-support';
import type { FilterNode } from './filter-expression';
import type { TraceStore } from './trace-store';

export const DEFAULT_GROUP_NAME = 'Default';
const ARN_PREFIX = 'arn:aws:xray:us-east-1:000000000000:group/';
/** GroupName and GroupARN length constraints (API reference, CreateGroup and GetGroup). */
const MAX_GROUP_NAME = 32;
const MAX_GROUP_ARN = 400;
/** Tag rules of CreateGroup's `Tags`: at most 50 user tags, keys 1-128 and values 0-256 characters. */
const MAX_TAGS = 50;

interface Insights {
  InsightsEnabled: boolean;
  NotificationsEnabled: boolean;
}

export interface Group {
  readonly GroupName: string;
  readonly GroupARN: string;
  readonly FilterExpression?: string;
  readonly InsightsConfiguration: Insights;
  /** The parsed FilterExpression; undefined selects every trace. */
  readonly filter?: FilterNode;
}

const groupJson = ({ filter: _filter, ...json }: Group) => json;

/** A real group ARN ends with a generated id; a stable hash of the name stands in for it. */
const groupArn = (name: string) =>
  name === DEFAULT_GROUP_NAME
    ? `${ARN_PREFIX}${name}`
    : `${ARN_PREFIX}${name}/${createHash('sha1').update(name).digest('hex').slice(0, 26).toUpperCase()}`;

function defaultGroup(): Group {
  return {
    GroupName: DEFAULT_GROUP_NAME,
    GroupARN: groupArn(DEFAULT_GROUP_NAME),
    InsightsConfiguration: { InsightsEnabled: false, NotificationsEnabled: false },
  };
}

/** The groups of one daemon (keyed by its store, so the daemon needs no extra wiring). */
const registries = new WeakMap<TraceStore, Map<string, Group>>();
export function groupsOf(store: TraceStore): Map<string, Group> {
  const existing = registries.get(store);
  if (existing) return existing;
  const groups = new Map([[DEFAULT_GROUP_NAME, defaultGroup()]]);
  registries.set(store, groups);
  return groups;
}

function groupName(body: Body): string | undefined {
  const name = optionalString(body, 'GroupName', invalidRequest);
  if (name === undefined) return undefined;
  if (name.length < 1 || name.length > MAX_GROUP_NAME) {
    throw invalidRequest(`GroupName must be 1 to ${MAX_GROUP_NAME} characters (got ${name.length})`);
  }
  return name;
}

function insights(body: Body, previous?: Insights): Insights {
  const value = body.InsightsConfiguration;
  if (value === undefined || value === null) return previous ?? { InsightsEnabled: false, NotificationsEnabled: false };
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidRequest('InsightsConfiguration must be an object');
  const flag = (key: keyof Insights) => {
    const flagValue = (value as Body)[key];
    if (flagValue === undefined || flagValue === null) return previous?.[key] ?? false;
    if (typeof flagValue !== 'boolean') throw invalidRequest(`InsightsConfiguration.${key} must be a boolean`);
    return flagValue;
  };
  const result = { InsightsEnabled: flag('InsightsEnabled'), NotificationsEnabled: flag('NotificationsEnabled') };
  if (result.NotificationsEnabled && !result.InsightsEnabled) {
    throw invalidRequest('InsightsConfiguration.NotificationsEnabled needs InsightsEnabled');
  }
  return result;
}

function checkTags(body: Body): void {
  const tags = body.Tags;
  if (tags === undefined || tags === null) return;
  if (!Array.isArray(tags) || tags.length > MAX_TAGS)
    throw invalidRequest(`Tags must be a list of at most ${MAX_TAGS} tags`);
  tags.forEach((tag, index) => {
    const { Key, Value } = (tag ?? {}) as Body;
    if (typeof Key !== 'string' || Key.length < 1 || Key.length > 128)
      throw invalidRequest(`Tags[${index}].Key must be 1 to 128 characters`);
    if (typeof Value !== 'string' || Value.length > 256)
      throw invalidRequest(`Tags[${index}].Value must be at most 256 characters`);
  });
}

function filterFields(expression: string | undefined): Pick<Group, 'FilterExpression' | 'filter'> {
  const filter = parseFilterField(expression, 'FilterExpression', invalidRequest);
  return expression?.trim() ? { FilterExpression: expression, filter } : {};
}

/**
 * The group a request names by GroupName or GroupARN (not both), undefined when it names none.
 * An unknown group is an InvalidRequestException, as on AWS.
 */
export function resolveGroup(store: TraceStore, body: Body): Group | undefined {
  const name = groupName(body);
  const arn = optionalString(body, 'GroupARN', invalidRequest);
  if (arn !== undefined && (arn.length < 1 || arn.length > MAX_GROUP_ARN))
    throw invalidRequest(`GroupARN must be 1 to ${MAX_GROUP_ARN} characters`);
  if (name !== undefined && arn !== undefined) throw invalidRequest('give GroupName or GroupARN, not both');
  if (name === undefined && arn === undefined) return undefined;
  const groups = groupsOf(store);
  const group = name !== undefined ? groups.get(name) : [...groups.values()].find((g) => g.GroupARN === arn);
  if (!group)
    throw invalidRequest(
      name !== undefined ? `GroupName: no group named "${name}"` : `GroupARN: no group with ARN "${arn}"`,
    );
  return group;
}

function createGroup(store: TraceStore, body: Body): ApiResponse {
  const name = groupName(body);
  if (name === undefined) throw invalidRequest('GroupName is required');
  const groups = groupsOf(store);
  if (name === DEFAULT_GROUP_NAME) throw invalidRequest('GroupName: "Default" is a reserved name');
  if (groups.has(name)) throw invalidRequest(`GroupName: a group named "${name}" already exists`);
  const filter = filterFields(optionalString(body, 'FilterExpression', invalidRequest));
  const insightsConfiguration = insights(body);
  checkTags(body);
  const group: Group = {
    GroupName: name,
    GroupARN: groupArn(name),
    ...filter,
    InsightsConfiguration: insightsConfiguration,
  };
  groups.set(name, group);
  return { status: 200, body: { Group: groupJson(group) } };
}

function requireGroup(store: TraceStore, body: Body): Group {
  const group = resolveGroup(store, body);
  if (!group) throw invalidRequest('GroupName or GroupARN is required');
  return group;
}

function updateGroup(store: TraceStore, body: Body): ApiResponse {
  const group = requireGroup(store, body);
  if (group.GroupName === DEFAULT_GROUP_NAME) throw invalidRequest('the Default group cannot be changed');
  const expression = optionalString(body, 'FilterExpression', invalidRequest);
  const updated: Group = {
    ...group,
    ...(expression === undefined
      ? {}
      : { FilterExpression: undefined, filter: undefined, ...filterFields(expression) }),
    InsightsConfiguration: insights(body, group.InsightsConfiguration),
  };
  groupsOf(store).set(group.GroupName, updated);
  return { status: 200, body: { Group: groupJson(updated) } };
}

function deleteGroup(store: TraceStore, body: Body): ApiResponse {
  const group = requireGroup(store, body);
  if (group.GroupName === DEFAULT_GROUP_NAME) throw invalidRequest('the Default group cannot be deleted');
  groupsOf(store).delete(group.GroupName);
  return { status: 200, body: {} };
}

/** All groups in one page (the local daemon never has more than a handful), `Default` first. */
function getGroups(store: TraceStore, body: Body): ApiResponse {
  const token = optionalString(body, 'NextToken', invalidRequest);
  if (token !== undefined) throw invalidRequest('NextToken is not a token this API returned');
  return { status: 200, body: { Groups: [...groupsOf(store).values()].map(groupJson) } };
}

/** The group actions by their REST path, as in the X-Ray API reference. */
export const GROUP_ACTIONS: Record<string, (store: TraceStore, body: Body) => ApiResponse> = {
  '/CreateGroup': createGroup,
  '/GetGroup': (store, body) => ({ status: 200, body: { Group: groupJson(requireGroup(store, body)) } }),
  '/Groups': getGroups,
  '/UpdateGroup': updateGroup,
  '/DeleteGroup': deleteGroup,
};
