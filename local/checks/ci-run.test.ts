import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from './test-fixtures';

/**
 * One test entry point everywhere: README's quick start, the CI machine and the GitHub workflows all
 * run `.ci/run`, which ends in the README's test command.
 */
const read = (path: string) => readFileSync(join(projectRoot, path), 'utf8');

/** The commands of README's quick-start code block, comments dropped. */
function quickStartCommands(): string[] {
  const section = read('README.md').split('\n## Quick start\n')[1]?.split('\n## ')[0] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block
    .split('\n')
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
}

describe('the test entry point', () => {
  it('README gives exactly two commands: install and start, and the CI run', () => {
    expect(quickStartCommands()).toEqual(['npm ci && npm start', 'bash .ci/run']);
  });

  it('.ci/run installs the dependencies and ends with npm test', () => {
    const commands = read('.ci/run')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(commands.at(-1)).toBe('npm test');
    expect(commands).toContainEqual(expect.stringMatching(/^npm ci\b/));
    expect(commands.findIndex((c) => c.startsWith('npm ci'))).toBeLessThan(commands.length - 1);
  });

  it('npm test is typecheck, lint and every jest test', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test).toBe('npm run typecheck && npm run lint && jest');
  });

  it.each(['sam-pipeline.yml', 'pull-request.yml'])('%s tests through .ci/run', (file) => {
    const workflow = parse(read(`.github/workflows/${file}`)) as {
      jobs: Record<string, { steps?: Array<{ run?: string }> }>;
    };
    const runs = (workflow.jobs.test?.steps ?? []).flatMap((step) => (step.run ? [step.run.trim()] : []));
    expect(runs).toEqual(['bash .ci/run']);
  });
});
