import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot, realTemplate } from '../checks/test-fixtures';
import { startApiGateway, type ApiGatewayHandle } from './api-gateway/gateway';
import { apiRoutes } from './api-gateway/routes-from-template';
import { LocalCloud } from './local-cloud';
import { LOCAL_CREDENTIALS, type SeedData } from './seed';
import type { Template } from '../template/template';

/**
 * End-to-end tests of the template's functions: the real template.yaml cut down to the resources a
 * test names (so it builds and runs only those), on the local cloud in a scratch copy of the project
 * (the build folder is not shared with whoever else runs tests), with the local API gateway in front.
 */
export interface TestCloud {
  cloud: LocalCloud;
  gateway: ApiGatewayHandle;
  apiKey: string;
  /** Times the gateway invoked a function (authorizers included), by logical id. */
  gatewayInvocations(logicalId: string): number;
  stop(): Promise<void>;
}

export const sdkConfig = { region: 'us-east-1', credentials: LOCAL_CREDENTIALS };

/** template.yaml with only the given resources (and its parameters, globals and conditions). */
export function templateWith(logicalIds: string[]): Template {
  const full = realTemplate();
  const missing = logicalIds.filter((id) => !full.Resources[id]);
  if (missing.length) throw new Error(`template.yaml has no ${missing.join(', ')}`);
  return { ...full, Resources: Object.fromEntries(logicalIds.map((id) => [id, full.Resources[id]!])) };
}

export interface TestCloudOptions {
  seedData?: SeedData;
  /** Changes the scratch copy before it is built (a test's shorter TTL, say). */
  prepare?: (root: string) => void;
  /** Changes the cut-down template before the cloud starts (a test's shorter timeout, say). */
  adjust?: (template: Template) => void;
}

export async function startTestCloud(
  logicalIds: string[],
  { seedData, prepare, adjust }: TestCloudOptions = {},
): Promise<TestCloud> {
  const root = mkdtempSync(join(tmpdir(), 'test-cloud-'));
  for (const dir of ['functions', 'extensions', 'layers', 'events']) {
    cpSync(join(projectRoot, dir), join(root, dir), { recursive: true });
  }
  symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
  prepare?.(root);
  const template = templateWith(logicalIds);
  adjust?.(template);
  const cloud = await LocalCloud.start({ root, template, ...(seedData ? { seedData } : {}) });
  const apiKey = 'local-samples-test-key-0123456789';
  const invocations = new Map<string, number>();
  try {
    const gateway = await startApiGateway({
      routes: apiRoutes(template),
      port: 0,
      apiKeys: [apiKey],
      credentials: (id) =>
        id === LOCAL_CREDENTIALS.accessKeyId ? LOCAL_CREDENTIALS.secretAccessKey : undefined,
      invoke: async (logicalId, event) => {
        invocations.set(logicalId, (invocations.get(logicalId) ?? 0) + 1);
        const result = await cloud.invoke(logicalId, event);
        return { payload: result.payload, ...(result.errorType ? { errorType: result.errorType } : {}) };
      },
    });
    return {
      cloud,
      gateway,
      apiKey,
      gatewayInvocations: (logicalId) => invocations.get(logicalId) ?? 0,
      stop: async () => {
        await gateway.close();
        await cloud.stop();
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await cloud.stop();
    throw e;
  }
}
