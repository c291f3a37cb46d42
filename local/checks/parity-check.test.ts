import { checkParity, resolveSlsValue, slsLayerLogicalId } from './parity-check';
import { projectRoot, propsOf, realServerless, realTemplate } from './test-fixtures';
import type { Template } from '../template/template';
import type { ServerlessConfig } from './parity-check';

const messages = (t: Template = realTemplate(), s: ServerlessConfig = realServerless()) =>
  checkParity(t, s, projectRoot).map((f) => `${f.where}: ${f.message}`);

describe('parity check (template.yaml ↔ serverless.yml)', () => {
  it('passes the project', () => {
    expect(messages()).toEqual([]);
  });

  it('fails a function missing from either file', () => {
    const s = realServerless();
    s.functions!.goodbye = s.functions!.hello!;
    delete s.functions!.hello;
    expect(messages(realTemplate(), s)).toEqual([
      'Resources.HelloFunction: serverless.yml has no function "hello"',
      'functions.goodbye: serverless.yml function has no AWS::Serverless::Function in template.yaml',
    ]);
  });

  it('fails a different memory, timeout, handler, environment, layers or events', () => {
    const t = realTemplate();
    const p = propsOf(t, 'HelloFunction');
    p.MemorySize = 512;
    p.Timeout = 30;
    p.Environment = { Variables: { TABLE_NAME: 't' } };
    p.Layers = [{ Ref: 'CacheExtensionLayer' }];
    (p.Events as Record<string, unknown>).Nightly = {
      Type: 'Schedule',
      Properties: { Schedule: 'rate(1 day)' },
    };
    const s = realServerless();
    s.functions!.hello!.handler = 'functions/hello/index.main';
    expect(messages(t, s)).toEqual([
      'Resources.HelloFunction: handlerExport is "handler" in template.yaml but "main" in serverless.yml functions.hello',
      'Resources.HelloFunction: memorySize is 512 in template.yaml but 256 in serverless.yml functions.hello',
      'Resources.HelloFunction: timeout is 30 in template.yaml but 10 in serverless.yml functions.hello',
      'Resources.HelloFunction: environment is ["NODE_OPTIONS","TABLE_NAME"] in template.yaml but ["LOGS_BUCKET","LOGS_DELIVERY","LOGS_PREFIX","NODE_OPTIONS"] in serverless.yml functions.hello',
      'Resources.HelloFunction: layers is ["CacheExtensionLayer"] in template.yaml but ["LogsExtensionLayer"] in serverless.yml functions.hello',
      'Resources.HelloFunction: events is ["httpApi","schedule"] in template.yaml but ["httpApi"] in serverless.yml functions.hello',
    ]);
  });

  it('matches layers by name in both directions', () => {
    const t = realTemplate();
    t.Resources.ProbeLayer = {
      Type: 'AWS::Serverless::LayerVersion',
      Properties: { ContentUri: 'layers/probe' },
    };
    propsOf(t, 'HelloFunction').Layers = [{ Ref: 'ProbeLayer' }];
    const s = realServerless();
    expect(messages(t, s)).toContain('Resources.ProbeLayer: serverless.yml has no layer "probe"');
    s.layers = { ...s.layers, probe: { path: 'build/ProbeLayer' } };
    s.functions!.hello!.layers = [{ Ref: slsLayerLogicalId('probe') }];
    expect(messages(t, s)).toEqual([]);
    s.layers.metricsExtension = { path: 'x' };
    expect(messages(t, s)).toEqual([
      'layers.metricsExtension: serverless.yml layer has no AWS::Serverless::LayerVersion in template.yaml',
    ]);
  });

  it('compares the architecture the default deploy of each gets', () => {
    const s = realServerless();
    s.params!.default!.architecture = 'x86_64';
    const found = messages(realTemplate(), s);
    expect(found).toContain(
      'Resources.HelloFunction: architecture is "arm64" in template.yaml but "x86_64" in serverless.yml functions.hello',
    );
    expect(found.every((m) => m.includes('architecture is "arm64"'))).toBe(true);
  });

  it('resolves the serverless variables a default deploy uses', () => {
    const s = realServerless();
    expect(resolveSlsValue('${param:architecture}', s)).toBe('arm64');
    expect(resolveSlsValue("${opt:stage, 'dev'}", s)).toBe('dev');
    expect(resolveSlsValue('${self:provider.memorySize}', s)).toBe(256);
    expect(resolveSlsValue('${env:HOME}', s)).toBe('${env:HOME}');
  });
});
