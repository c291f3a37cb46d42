import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot, realTemplate } from '../checks/test-fixtures';
import { checkSmokePlan, missingFrom, parseSmokePlan, SmokePlanError } from './smoke-plan';

describe('events/smoke.json', () => {
  it('the repo’s plan parses, with defaults for the optional fields', () => {
    const plan = parseSmokePlan(readFileSync(join(projectRoot, 'events/smoke.json'), 'utf8'));
    expect(plan.routes['GET /hello']).toEqual([{ expect: 200 }]);
    expect(plan.registrations).toEqual([{ registrator: 'RegistratorFunction', function: 'HelloFunction' }]);
    expect(parseSmokePlan('{"routes":{}}')).toEqual({
      routes: {},
      functionEvents: {},
      dryRunEvents: {},
      functionResults: {},
      rotations: [],
      registrations: [],
    });
  });

  it.each([
    ['{nope', /^events\/smoke\.json: is not valid JSON \(/],
    ['[]', 'events/smoke.json: the file must be an object'],
    ['{}', 'events/smoke.json: "routes" must map each route key ("GET /hello") to a list of requests'],
    ['{"routes":{},"rotation":[]}', /^events\/smoke\.json: "rotation" is not a field \(fields: routes, /],
    ['{"routes":{"GET /":{"expect":200}}}', 'events/smoke.json: routes["GET /"] must be a list of requests'],
    [
      '{"routes":{"GET /":[{"expect":"200"}]}}',
      'events/smoke.json: routes["GET /"][0].expect must be the HTTP status the request must get (100-599)',
    ],
    [
      '{"routes":{"GET /":[{"expect":200,"path":"x"}]}}',
      'events/smoke.json: routes["GET /"][0].path must start with /',
    ],
    [
      '{"routes":{"GET /":[{"expect":200,"sign":"yes"}]}}',
      'events/smoke.json: routes["GET /"][0].sign must be true or false',
    ],
    [
      '{"routes":{"GET /":[{"expect":200,"header":"x"}]}}',
      /^events\/smoke\.json: routes\["GET \/"\]\[0\]\."header" is not a request field/,
    ],
    [
      '{"routes":{},"functionEvents":{"F":1}}',
      'events/smoke.json: "functionEvents" must map function logical ids to file names',
    ],
    [
      '{"routes":{},"rotations":[{"secret":"s"}]}',
      'events/smoke.json: rotations[0] must be {"secret": string, "verifyWith": string}',
    ],
  ])('refuses %s, naming the field', (text, message) => {
    expect(() => parseSmokePlan(text)).toThrow(SmokePlanError);
    expect(() => parseSmokePlan(text)).toThrow(message);
  });
});

describe('events/smoke.json against the template', () => {
  it('the repo’s plan names only functions and event files that exist', () => {
    const plan = parseSmokePlan(readFileSync(join(projectRoot, 'events/smoke.json'), 'utf8'));
    const functions = Object.entries(realTemplate().Resources)
      .filter(([, r]) => r.Type === 'AWS::Serverless::Function')
      .map(([id]) => id);
    expect(() => checkSmokePlan(plan, projectRoot, functions)).not.toThrow();
  });

  it('names every unknown function and missing event file, in one line', () => {
    const plan = parseSmokePlan(
      JSON.stringify({
        routes: {},
        functionEvents: { HelloFunction: 'nope.json' },
        functionResults: { HeloFunction: {} },
        rotations: [{ secret: 's', verifyWith: 'Counter' }],
      }),
    );
    expect(() => checkSmokePlan(plan, projectRoot, ['HelloFunction'])).toThrow(
      new SmokePlanError(
        'events/smoke.json: functionEvents.HelloFunction: nope.json is not in events/hello; functionResults: HeloFunction is not a function of template.yaml; rotations[0].verifyWith: Counter is not a function of template.yaml',
      ),
    );
  });
});

describe('missingFrom: what a function result must contain', () => {
  it('objects by key (extra keys allowed), arrays element by element, values equal', () => {
    const summary = { mode: 'full', errors: [], plan: { create: 1, delete: 0 }, extra: true };
    expect(missingFrom(summary, { mode: 'full', errors: [], plan: { create: 1 } })).toBeUndefined();
    expect(missingFrom(summary, { plan: { create: 2 } })).toBe('result.plan.create is 1, expected 2');
    expect(missingFrom({ errors: [{ subject: 'x' }] }, { errors: [] })).toBe(
      'result.errors is [{"subject":"x"}], expected []',
    );
    expect(missingFrom({ failures: [{ id: 'a', why: 'b' }] }, { failures: [{ id: 'a' }] })).toBeUndefined();
    expect(missingFrom('text', { statusCode: 200 })).toBe('result is "text", expected an object');
    expect(missingFrom({}, { statusCode: 200 })).toBe('result.statusCode is undefined, expected 200');
  });
});
