import { createHash } from 'node:crypto';

/** A message (or message system) attribute as SQS's JSON protocol carries it; binary values are base64. */
export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: string;
  StringListValues?: string[];
  BinaryListValues?: string[];
}

export type MessageAttributeMap = Record<string, MessageAttributeValue>;

export const md5Hex = (data: string | Buffer): string => createHash('md5').update(data).digest('hex');

/** `Binary` and `Binary.<label>` travel as bytes; `String`, `Number` and their labels as UTF-8 text. */
export const isBinaryType = (dataType: string) => dataType.split('.', 1)[0] === 'Binary';

function lengthPrefixed(bytes: Buffer): Buffer[] {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
}

/**
 * MD5OfMessageAttributes (and MD5OfMessageSystemAttributes) as the SQS developer guide defines it:
 * attributes sorted by name; for each, the name and the data type as 4-byte big-endian length + UTF-8
 * bytes, one transport byte (1 for text, 2 for binary), then the value as length + bytes (UTF-8 text or
 * the raw decoded bytes). Undefined when there are no attributes: SQS omits the field then.
 */
export function md5OfMessageAttributes(attributes: MessageAttributeMap | undefined): string | undefined {
  const names = Object.keys(attributes ?? {}).sort();
  if (!attributes || names.length === 0) return undefined;
  const parts: Buffer[] = [];
  for (const name of names) {
    const attr = attributes[name]!;
    parts.push(...lengthPrefixed(Buffer.from(name, 'utf8')));
    parts.push(...lengthPrefixed(Buffer.from(attr.DataType, 'utf8')));
    if (isBinaryType(attr.DataType)) {
      parts.push(Buffer.from([2]), ...lengthPrefixed(Buffer.from(attr.BinaryValue ?? '', 'base64')));
    } else {
      parts.push(Buffer.from([1]), ...lengthPrefixed(Buffer.from(attr.StringValue ?? '', 'utf8')));
    }
  }
  return md5Hex(Buffer.concat(parts));
}
