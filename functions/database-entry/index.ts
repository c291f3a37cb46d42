import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

/**
 * DatabaseEntry: puts the cache demo's sample item into its table (the seed's
 * ExtensionsCache-DatabaseEntry), so `GET /cache-demo` has something to read after a deploy. Invoked
 * directly (console, `aws lambda invoke`, `npm run invoke`); an empty event writes the default item,
 * or the event names its own `pk`, `sk` and `message`. A bad event is answered
 * `{statusCode: 400, message}`, never an exception.
 */
export interface EntryEvent {
  pk?: unknown;
  sk?: unknown;
  message?: unknown;
}

export interface EntryResult {
  statusCode: 200 | 400 | 500 | 502;
  message: string;
  item?: SampleItem;
}

export interface SampleItem {
  pk: string;
  sk: string;
  message: string;
}

/** The item functions/cache-demo/config.yaml caches (`cache-demo-items-item1-v0`). */
export const DEFAULT_ITEM: SampleItem = {
  pk: 'item1',
  sk: 'v0',
  message: 'hello from DynamoDB, through the cache extension',
};

const KEY_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const MAX_MESSAGE = 1024;

export function parseEntry(event: unknown): { ok: true; item: SampleItem } | { ok: false; message: string } {
  if (event === null || event === undefined) return { ok: true, item: DEFAULT_ITEM };
  if (typeof event !== 'object' || Array.isArray(event))
    return { ok: false, message: 'the event must be a JSON object with optional pk, sk and message' };
  const { pk = DEFAULT_ITEM.pk, sk = DEFAULT_ITEM.sk, message = DEFAULT_ITEM.message } = event as EntryEvent;
  for (const [name, value] of [
    ['pk', pk],
    ['sk', sk],
  ] as const) {
    if (typeof value !== 'string' || !KEY_PATTERN.test(value))
      return { ok: false, message: `${name} must be 1-128 characters of letters, digits, '.', '_' or '-'` };
  }
  if (typeof message !== 'string' || message.length === 0 || message.length > MAX_MESSAGE)
    return { ok: false, message: `message must be a string of 1-${MAX_MESSAGE} characters` };
  return { ok: true, item: { pk: pk as string, sk: sk as string, message } };
}

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event: unknown): Promise<EntryResult> => {
  const table = process.env.TABLE_NAME;
  if (!table) return { statusCode: 500, message: 'TABLE_NAME is not configured' };
  const parsed = parseEntry(event);
  if (!parsed.ok) return { statusCode: 400, message: parsed.message };
  try {
    await documents.send(new PutCommand({ TableName: table, Item: parsed.item }));
  } catch (e) {
    console.error(`database-entry: PutItem failed (${(e as Error).name})`);
    return { statusCode: 502, message: 'the item could not be written' };
  }
  return { statusCode: 200, message: `put ${parsed.item.pk}/${parsed.item.sk}`, item: parsed.item };
};
