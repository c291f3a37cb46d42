import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isBuiltin } from 'node:module';
import { projectRoot, realTemplate } from '../checks/test-fixtures';
import type { Template } from '../template/template';
import { buildAll, buildFunction, buildWithMakefile, esbuildOptions } from './build';

const run = promisify(execFile);

describe('build', () => {
  it('bundles hello into one CommonJS file whose handler answers', async () => {
    const root = mkdtempSync(join(tmpdir(), 'build-'));
    mkdirSync(join(root, 'functions'));
    // Build from the real source with the real template, into a scratch root.
    const t = realTemplate();
    t.Resources.HelloFunction!.Properties!.CodeUri = join(projectRoot, 'functions/hello');
    const out = await buildFunction(t, 'HelloFunction', root);
    // Load the bundle in a plain node process, as the runtime would: nothing from this repo on its path.
    const script = `require(${JSON.stringify(join(out, 'index.js'))}).handler({}).then((r) => process.stdout.write(r.body))`;
    const { stdout } = await run(process.execPath, ['-e', script], { cwd: root });
    expect(JSON.parse(stdout)).toEqual({ message: 'hello world' });
    expect(readFileSync(join(out, 'index.js.map'), 'utf8')).toContain('functions/hello/index.ts');
  });

  it('leaves the AWS SDK external for functions, as the template says', async () => {
    const root = mkdtempSync(join(tmpdir(), 'build-'));
    mkdirSync(join(root, 'fn'));
    writeFileSync(join(root, 'fn/index.ts'), "import { S3Client } from '@aws-sdk/client-not-installed';\nexport const handler = () => new S3Client();\n");
    const t: Template = {
      Resources: {
        Fn: {
          Type: 'AWS::Serverless::Function',
          Metadata: { BuildMethod: 'esbuild', BuildProperties: { EntryPoints: ['index.ts'], External: ['@aws-sdk/*'], OutExtension: ['.js=.cjs'] } },
          Properties: { CodeUri: 'fn', Handler: 'index.handler' },
        },
      },
    };
    const out = await buildFunction(t, 'Fn', root);
    expect(readFileSync(join(out, 'index.cjs'), 'utf8')).toContain('require("@aws-sdk/client-not-installed")');
  });

  it('builds a layer through its Makefile target with ARTIFACTS_DIR', async () => {
    const root = mkdtempSync(join(tmpdir(), 'build-'));
    mkdirSync(join(root, 'layers/demo'), { recursive: true });
    writeFileSync(
      join(root, 'layers/demo/Makefile'),
      'build-DemoLayer:\n\tmkdir -p $(ARTIFACTS_DIR)/extensions\n\tprintf "#!/bin/sh\\n" > $(ARTIFACTS_DIR)/extensions/demo\n',
    );
    const t: Template = {
      Resources: { DemoLayer: { Type: 'AWS::Serverless::LayerVersion', Metadata: { BuildMethod: 'makefile' }, Properties: { ContentUri: 'layers/demo' } } },
    };
    const built = await buildAll(t, root);
    expect(readFileSync(join(built.get('DemoLayer')!, 'extensions/demo'), 'utf8')).toBe('#!/bin/sh\n');
  });

  it.each([
    ['CacheExtensionLayer', 'cache-extension', 'GetParameterCommand'],
    ['LogsExtensionLayer', 'logs-extension', 'PutObjectCommand'],
  ])('bundles the AWS SDK into %s: it requires nothing but Node built-ins', async (layer, file, command) => {
    const built = await buildWithMakefile(realTemplate(), layer, projectRoot);
    const text = readFileSync(join(built, 'extensions', file), 'utf8');
    expect(text).toContain(command);
    // Every require, in the main bundle and in the modules embedded as text (quotes escaped there).
    const required = [...text.matchAll(/require\(\\?"([^"\\]+)\\?"\)/g)].map((m) => m[1]!);
    expect(required.length).toBeGreaterThan(0);
    // The one exception is optional: the SDK tries the CRT signer and falls back when it is absent.
    expect(required.filter((r) => !isBuiltin(r) && r !== '@aws-sdk/signature-v4-crt')).toEqual([]);
  });

  it('refuses a function that does not build with esbuild, naming it', () => {
    const t = realTemplate();
    delete t.Resources.HelloFunction!.Metadata;
    expect(() => esbuildOptions(t, 'HelloFunction', projectRoot)).toThrow('HelloFunction: Metadata.BuildMethod must be esbuild');
  });
});
