import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { asTemplate } from '../template/template';
import { projectRoot, realServerless } from './test-fixtures';
import { checkCloudFormation } from './validate-project';

const run = promisify(execFile);

/** No credentials and no way to find any: packaging must not need an AWS account. */
const offlineEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_SESSION_TOKEN: '',
  AWS_PROFILE: 'no-such-profile',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
  AWS_CONFIG_FILE: '/nonexistent',
  AWS_EC2_METADATA_DISABLED: 'true',
};

async function packageService(dir: string, out: string): Promise<Record<string, unknown>> {
  await run('npm', ['run', 'package:sls', '--', '--package', out], {
    cwd: dir,
    env: offlineEnv,
    timeout: 120_000,
  });
  return JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
}

const afterCleanup: string[] = [];
afterAll(() => afterCleanup.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('npm run package:sls', () => {
  it('packages serverless.yml offline into CloudFormation that passes the same checks as template.yaml', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sls-'));
    afterCleanup.push(out);
    const cfn = asTemplate(await packageService(projectRoot, out), 'packaged serverless.yml');
    expect(checkCloudFormation(cfn)).toEqual([]);
    // serverless.yml declares layers: packaging asked CloudFormation nothing (offline-package-plugin).
    expect(cfn.Resources.CacheExtensionLambdaLayer?.Type).toBe('AWS::Lambda::LayerVersion');
    expect(Object.values(cfn.Resources).filter((r) => r.Type === 'AWS::Lambda::Function')).toHaveLength(
      Object.keys(realServerless().functions ?? {}).length,
    );
    // One esbuild bundle per function: a minute and more on two busy cores.
  }, 180_000);
});
