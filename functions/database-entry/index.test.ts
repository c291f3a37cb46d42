import { DEFAULT_ITEM, handler, parseEntry } from './index';

describe('database-entry input', () => {
  it('writes the default sample item for an empty event, or the named one', () => {
    expect(parseEntry({})).toEqual({ ok: true, item: DEFAULT_ITEM });
    expect(parseEntry(null)).toEqual({ ok: true, item: DEFAULT_ITEM });
    expect(parseEntry({ pk: 'item2', message: 'two' })).toEqual({
      ok: true,
      item: { pk: 'item2', sk: 'v0', message: 'two' },
    });
  });

  it('refuses a bad event with a message naming the field', () => {
    expect(parseEntry([])).toEqual({
      ok: false,
      message: 'the event must be a JSON object with optional pk, sk and message',
    });
    expect(parseEntry({ pk: 'a b' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^pk must/),
    });
    expect(parseEntry({ sk: 7 })).toMatchObject({ ok: false, message: expect.stringMatching(/^sk must/) });
    expect(parseEntry({ message: '' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^message/),
    });
  });

  it('answers 400, not an exception, before touching DynamoDB', async () => {
    process.env.TABLE_NAME = 'unused';
    expect(await handler('text')).toEqual({
      statusCode: 400,
      message: 'the event must be a JSON object with optional pk, sk and message',
    });
  });
});
