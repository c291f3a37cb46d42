import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHandlers, exportedNames } from './handlers-check';
import { projectRoot, propsOf, realTemplate } from './test-fixtures';
import type { Template } from '../template/template';

const messages = (t: Template, root = projectRoot) =>
  checkHandlers(t, root).map((f) => `${f.where}: ${f.message}`);

describe('handlers check', () => {
  it('passes template.yaml', () => {
    expect(messages(realTemplate())).toEqual([]);
  });

  it('fails a handler the source file does not export', () => {
    const t = realTemplate();
    propsOf(t, 'HelloFunction').Handler = 'index.main';
    expect(messages(t)).toEqual([
      'Resources.HelloFunction.Properties.Handler: functions/hello/index.ts does not export "main"',
    ]);
  });

  it('fails a handler module that is no esbuild entry point, and a missing CodeUri folder', () => {
    const t = realTemplate();
    propsOf(t, 'HelloFunction').Handler = 'app.handler';
    expect(messages(t)).toEqual([
      'Resources.HelloFunction: Handler module "app" matches no esbuild EntryPoints (index.ts)',
    ]);
    propsOf(t, 'HelloFunction').CodeUri = 'functions/nope';
    expect(messages(t)).toEqual(['Resources.HelloFunction: CodeUri functions/nope is not a folder']);
  });

  it('fails a layer without a makefile build, or whose Makefile lacks its build target', () => {
    const root = mkdtempSync(join(tmpdir(), 'handlers-'));
    mkdirSync(join(root, 'layers/demo'), { recursive: true });
    writeFileSync(join(root, 'layers/demo/Makefile'), 'build-OtherLayer:\n\tcp x $(ARTIFACTS_DIR)\n');
    const t: Template = {
      Resources: {
        DemoLayer: {
          Type: 'AWS::Serverless::LayerVersion',
          Properties: { ContentUri: 'layers/demo' },
          Metadata: { BuildMethod: 'esbuild' },
        },
      },
    };
    expect(messages(t, root)).toEqual([
      'Resources.DemoLayer.Metadata: layers build with `BuildMethod: makefile` (SAM cannot build layers with esbuild)',
      'Resources.DemoLayer.Properties.ContentUri: layers/demo/Makefile has no "build-DemoLayer:" target',
    ]);
    writeFileSync(join(root, 'layers/demo/Makefile'), 'build-DemoLayer:\n\tcp x $(ARTIFACTS_DIR)\n');
    t.Resources.DemoLayer!.Metadata = { BuildMethod: 'makefile' };
    expect(messages(t, root)).toEqual([]);
  });

  it('reads every way a module can export its handler', () => {
    const dir = mkdtempSync(join(tmpdir(), 'exports-'));
    writeFileSync(join(dir, 'inner.ts'), 'export async function viaStar() {}\n');
    writeFileSync(
      join(dir, 'index.ts'),
      [
        'export const a = 1, b = 2;',
        'export function c() {}',
        'const d = 1; export { d, d as e };',
        "export * from './inner';",
        'exports.f = () => 1;',
        'const notExported = 1;',
      ].join('\n'),
    );
    expect([...exportedNames(join(dir, 'index.ts'))].sort()).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      'f',
      'viaStar',
    ]);
  });
});
