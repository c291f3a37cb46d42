import { ConfigError, parseConfig } from './config';

const base = { CONSUL_HTTP_ADDR: 'https://consul.internal:8501' };

describe('parseConfig', () => {
  it('applies the original defaults', () => {
    expect(parseConfig(base)).toMatchObject({
      nodeName: 'lambdas',
      enterprise: false,
      partitions: [],
      extensionDataTier: 'Standard',
      pageSize: 100,
      dryRun: false,
    });
  });

  it('reads every option', () => {
    const c = parseConfig({
      CONSUL_HTTP_ADDR: 'consul:8500',
      CONSUL_CACERT_PATH: '/consul/ca',
      CONSUL_HTTP_TOKEN_PATH: '/consul/token',
      CONSUL_EXTENSION_DATA_PREFIX: '/consul/lambda/',
      CONSUL_EXTENSION_DATA_TIER: 'advanced',
      DATACENTER: 'dc2',
      NODE_NAME: 'lambda-node',
      CONSUL_TERMINATING_GATEWAY: 'lambda-gateway',
      ENTERPRISE: 'true',
      PARTITIONS: 'default, ap1',
      DRY_RUN: 'true',
    });
    expect(c).toMatchObject({
      caCertPath: '/consul/ca',
      tokenPath: '/consul/token',
      extensionDataPrefix: '/consul/lambda',
      extensionDataTier: 'Advanced',
      datacenter: 'dc2',
      nodeName: 'lambda-node',
      terminatingGateway: 'lambda-gateway',
      enterprise: true,
      partitions: ['default', 'ap1'],
      dryRun: true,
    });
    expect(c.consulAddress.href).toBe('http://consul:8500/');
  });

  it.each([
    [{}, /CONSUL_HTTP_ADDR: is required/],
    [{ CONSUL_HTTP_ADDR: 'ftp://x' }, /CONSUL_HTTP_ADDR: scheme "ftp:"/],
    [{ ...base, ENTERPRISE: 'maybe' }, /ENTERPRISE: "maybe" is not true or false/],
    [{ ...base, PARTITIONS: 'ap1' }, /PARTITIONS: admin partitions need Consul Enterprise/],
    [{ ...base, CONSUL_EXTENSION_DATA_TIER: 'gold' }, /CONSUL_EXTENSION_DATA_TIER: "gold"/],
    [
      { ...base, CONSUL_HTTP_TOKEN_PATH: 'token' },
      /CONSUL_HTTP_TOKEN_PATH: "token" is not an SSM parameter name/,
    ],
    [{ ...base, PAGE_SIZE: '500' }, /PAGE_SIZE: "500" is not a whole number from 1 to 100/],
    [{ ...base, NODE_NAME: 'bad name' }, /NODE_NAME/],
  ])('refuses %j with one message naming the variable', (env, message) => {
    expect(() => parseConfig(env)).toThrow(ConfigError);
    expect(() => parseConfig(env)).toThrow(message);
  });
});
