/** The local sandbox's ports: nothing deployed and nothing in a bundle reads them. */

/** Default local ports of the sandbox (`npm start`): the website, and each API on its own. Tests use free ports. */
export const SANDBOX_PORTS = {
  website: 3000,
  apis: { questions: 3001, mysfits: 3002, clicks: 3003 },
  xray: 2000,
  dynamodb: 8000,
  fauxqs: 4566,
} as const;
