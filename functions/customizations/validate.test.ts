import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { realTemplate } from '../../local/checks/test-fixtures';
import { MAX_BODY_BYTES, validateBody } from './validate';
import { handler } from './index';

const valid = {
  imageUrl: 'https://example.com/unicorn.png',
  sock: '1',
  horn: '2',
  glasses: '3',
  cape: '4',
  name: 'Shadowfax',
};

describe('customizations validation', () => {
  it('accepts a valid customization and keeps only the model’s fields', () => {
    expect(validateBody(JSON.stringify({ ...valid, admin: true }), false)).toEqual({
      ok: true,
      value: valid,
    });
    expect(validateBody(Buffer.from(JSON.stringify(valid)).toString('base64'), true)).toEqual({
      ok: true,
      value: valid,
    });
  });

  it('refuses the seed’s bad cases with the field and the rule', () => {
    const badUrl = validateBody(JSON.stringify({ ...valid, imageUrl: 'htt://example.com/x' }), false);
    expect(badUrl).toEqual({ ok: false, errors: [expect.stringMatching(/^\/imageUrl must match pattern/)] });
    const sqli = validateBody(
      JSON.stringify({ ...valid, cape: "2); INSERT INTO Cape (NAME,PRICE) VALUES ('Bad color', 10000.00" }),
      false,
    );
    expect(sqli.ok).toBe(false);
    expect(!sqli.ok && sqli.errors.join()).toMatch(/^\/cape must /);
  });

  it('names missing fields, non-JSON, empty and oversized bodies', () => {
    const noName: Partial<typeof valid> = { ...valid };
    delete noName.name;
    expect(validateBody(JSON.stringify(noName), false)).toEqual({
      ok: false,
      errors: ["/ must have required property 'name'"],
    });
    expect(validateBody('{', false)).toEqual({ ok: false, errors: ['the body is not valid JSON'] });
    expect(validateBody(null, false)).toEqual({ ok: false, errors: ['a JSON body is required'] });
    expect(validateBody('x'.repeat(MAX_BODY_BYTES + 1), false)).toEqual({
      ok: false,
      errors: [`the body is larger than ${MAX_BODY_BYTES} bytes`],
    });
  });

  it('answers 400 (not 500) to an invalid event before touching DynamoDB', async () => {
    process.env.CUSTOMIZATIONS_TABLE = 'unused';
    expect((await handler({ body: 'nope' } as never)).statusCode).toBe(400);
    expect((await handler(null as never)).statusCode).toBe(400);
  });

  it('uses the same schema as the REST API model in template.yaml', () => {
    const schema = JSON.parse(readFileSync(join(__dirname, 'customization-post.schema.json'), 'utf8'));
    const api = realTemplate().Resources.SamplesRestApi!.Properties as { Models: Record<string, unknown> };
    expect(api.Models.CustomizationPost).toEqual(schema);
  });
});

describe('validateBody with what a direct invoke may pass', () => {
  it.each([[123], [{ a: 1 }], [['x']]])('answers %j with a 400 reason, not a throw', (body) => {
    expect(validateBody(body, false)).toEqual({ ok: false, errors: ['the body must be a JSON string'] });
  });
});
