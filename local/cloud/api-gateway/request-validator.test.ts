import type { Template } from '../../template/template';
import { fn, ref, request, startHarness, type Harness } from './test-support';

/** The Wild Rydes `CustomizationPost` model (Serverless Security Workshop), as JSON Schema draft-04. */
const CUSTOMIZATION_POST = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'CustomizationPost',
  type: 'object',
  properties: {
    imageUrl: { type: 'string', pattern: '^https?:\\/\\/[-a-zA-Z0-9@:%_+.~#?&//=]+$' },
    sock: { type: 'string', pattern: '^[0-9]*$' },
    horn: { type: 'string', pattern: '^[0-9]*$' },
    glasses: { type: 'string', pattern: '^[0-9]*$' },
    cape: { type: 'string', pattern: '^[0-9]*$' },
    name: { type: 'string', pattern: '[a-zA-Z0-9- ]+' },
  },
  required: ['imageUrl', 'sock', 'horn', 'glasses', 'cape', 'name'],
};

const template: Template = {
  Resources: {
    UnicornApi: {
      Type: 'AWS::Serverless::Api',
      Properties: {
        StageName: 'dev',
        Models: { CustomizationPost: CUSTOMIZATION_POST, Empty: { type: 'object' } },
      },
    },
    Customize: fn({
      Post: {
        Type: 'Api',
        Properties: {
          RestApiId: ref('UnicornApi'),
          Path: '/customizations',
          Method: 'POST',
          RequestModel: { Model: 'CustomizationPost', Required: true, ValidateBody: true },
        },
      },
      Params: {
        Type: 'Api',
        Properties: {
          RestApiId: ref('UnicornApi'),
          Path: '/validation/{id}',
          Method: 'GET',
          RequestModel: { Model: 'Empty', ValidateParameters: true },
          RequestParameters: [
            { 'method.request.querystring.q1': { Required: true } },
            { 'method.request.header.h1': { Required: true } },
            'method.request.header.optional',
          ],
        },
      },
      NoValidator: {
        Type: 'Api',
        Properties: {
          RestApiId: ref('UnicornApi'),
          Path: '/loose',
          Method: 'POST',
          RequestModel: { Model: 'CustomizationPost' },
        },
      },
    }),
  },
};

const VALID = {
  name: 'Cherry-themed unicorn',
  imageUrl: 'https://en.wikipedia.org/wiki/Cherry#/media/File:Cherry_Stella444.jpg',
  sock: '1',
  horn: '2',
  glasses: '3',
  cape: '4',
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness(template, { Customize: () => ({ statusCode: 200, body: '{"customUnicornId":1}' }) });
});
afterAll(() => h.close());

const post = (path: string, body: string | undefined) =>
  request(h.gateway.url, 'POST', path, {
    headers: { 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body } : {}),
  });

describe('REST request validation with the Wild Rydes CustomizationPost model', () => {
  it('a valid body reaches the function', async () => {
    const calls = h.calls('Customize');
    const res = await post('/dev/customizations', JSON.stringify(VALID));
    expect(res.status).toBe(200);
    expect(res.text).toBe('{"customUnicornId":1}');
    expect(h.calls('Customize')).toBe(calls + 1);
  });

  it('the htt:// image URL and the SQL-injection cape are 400 Invalid request body, before invoking', async () => {
    const calls = h.calls('Customize');
    const bad = [
      { ...VALID, imageUrl: 'htt://en.wikipedia.org/wiki/Cherry' },
      { ...VALID, cape: "2); INSERT INTO Cape (NAME,PRICE) VALUES ('Bad color', 10000.00" },
      { ...VALID, horn: 2 },
      (({ name: _n, ...rest }) => rest)(VALID),
    ];
    for (const body of bad) {
      const res = await post('/dev/customizations', JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(res.text).toBe('{"message":"Invalid request body"}');
      expect(res.headers['x-amzn-errortype']).toBe('BadRequestException');
    }
    for (const raw of ['not json', undefined]) {
      const res = await post('/dev/customizations', raw);
      expect(res.status).toBe(400);
      expect(res.text).toBe('{"message":"Invalid request body"}');
    }
    expect(h.calls('Customize')).toBe(calls);
  });

  it('without ValidateBody / ValidateParameters SAM adds no validator', async () => {
    const res = await post('/dev/loose', JSON.stringify({ cape: 'anything' }));
    expect(res.status).toBe(200);
  });

  it('ValidateParameters: absent or empty required parameters are 400, named in order', async () => {
    const calls = h.calls('Customize');
    const none = await request(h.gateway.url, 'GET', '/dev/validation/1');
    expect(none.status).toBe(400);
    expect(none.text).toBe('{"message":"Missing required request parameters: [q1, h1]"}');
    const blank = await request(h.gateway.url, 'GET', '/dev/validation/1?q1=', { headers: { h1: 'v1' } });
    expect(blank.text).toBe('{"message":"Missing required request parameters: [q1]"}');
    expect(h.calls('Customize')).toBe(calls);
    const ok = await request(h.gateway.url, 'GET', '/dev/validation/1?q1=cat', { headers: { h1: 'v1' } });
    expect(ok.status).toBe(200);
    expect(h.calls('Customize')).toBe(calls + 1);
  });
});
