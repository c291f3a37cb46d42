/**
 * The registrator as deployed: template.yaml's RegistratorFunction built and run in the local
 * cloud's sandbox, triggered by the CloudTrail events the Lambda control plane emits (through the
 * template's EventBridge rule) and by its schedule, writing to the Consul emulator with the ACL
 * token the local cloud keeps in SSM.
 */
import {
  LambdaClient,
  ListFunctionsCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-lambda';
import { projectRoot } from '../../local/checks/test-fixtures';
import { templateWith } from '../../local/cloud/test-cloud';
import { ManualClock } from '../../local/cloud/eventbridge/manual-clock';
import { LocalCloud } from '../../local/cloud/local-cloud';
import { LOCAL_CREDENTIALS } from '../../local/cloud/seed';
import { spawnedGroupIds, survivingGroups } from '../../local/sandbox/process-group';
import { MANAGED_TAG } from './consul-catalog';
import { TAGS } from './tags';

let cloud: LocalCloud;
let lambda: LambdaClient;
const clock = new ManualClock(Date.parse('2026-11-21T12:00:00Z'));

beforeAll(async () => {
  // Only the registrator (and its log group): the other functions have their own tests.
  const template = templateWith(['RegistratorFunction', 'RegistratorFunctionLogGroup']);
  cloud = await LocalCloud.start({ root: projectRoot, template, clock });
  lambda = new LambdaClient({
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    endpoint: cloud.endpoints.lambda,
  });
}, 300_000);

afterAll(async () => {
  lambda?.destroy();
  await cloud?.stop();
  expect(survivingGroups(spawnedGroupIds.splice(0))).toEqual([]);
});

const managed = async (): Promise<string[]> => {
  const res = await fetch(`${cloud.consul.address}/v1/catalog/services`, {
    headers: { 'X-Consul-Token': cloud.consul.token! },
  });
  const services = (await res.json()) as Record<string, string[]>;
  return Object.keys(services).filter((name) => services[name]!.includes(MANAGED_TAG));
};

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('registrator in the local cloud', () => {
  it('registers on TagResource, deregisters on UntagResource, and the schedule converges', async () => {
    const { Functions } = await lambda.send(new ListFunctionsCommand({}));
    const registrator = Functions!.find((f) => f.FunctionName!.includes('Registrator'))!;
    const arn = registrator.FunctionArn!;
    const name = registrator.FunctionName!;

    await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { [TAGS.enabled]: 'true' } }));
    await eventually(async () => (await managed()).includes(name), `${name} is registered`);

    await lambda.send(new UntagResourceCommand({ Resource: arn, TagKeys: [TAGS.enabled] }));
    await eventually(async () => !(await managed()).includes(name), `${name} is deregistered`);

    // Drift no event reports: the tag is back (registered again), then someone deregisters the
    // service by hand in Consul. Only the schedule's full sync can repair that.
    await lambda.send(new TagResourceCommand({ Resource: arn, Tags: { [TAGS.enabled]: 'true' } }));
    await eventually(async () => (await managed()).includes(name), `${name} is registered again`);
    const deregistered = await fetch(`${cloud.consul.address}/v1/catalog/deregister`, {
      method: 'PUT',
      headers: { 'X-Consul-Token': cloud.consul.token! },
      body: JSON.stringify({ Node: 'lambdas', ServiceID: name }),
    });
    expect(deregistered.status).toBe(200);
    expect(await managed()).not.toContain(name);
    await clock.advance(5 * 60_000); // the schedule: rate(5 minutes)
    await eventually(async () => (await managed()).includes(name), 'the full sync registered it');
  });

  it('answers a manual full sync with its summary', async () => {
    const result = await cloud.invoke('RegistratorFunction', JSON.stringify({ sync: 'full', dryRun: true }));
    expect(result.status).toBe('success');
    expect(JSON.parse(result.payload.toString('utf8'))).toMatchObject({
      mode: 'full',
      dryRun: true,
      inventoryComplete: true,
      errors: [],
    });
  });
});
