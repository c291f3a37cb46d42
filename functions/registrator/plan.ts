import { MANAGED_TAG, serviceKey, type CatalogService, type ConsulSnapshot } from './consul-catalog';
import { functionOfArn } from './function-ref';
import type { DesiredService } from './tags';

/** One change to Consul, with why: the plan a dry run prints and a sync applies. */
export type PlanAction =
  | { action: 'create' | 'update'; key: string; service: DesiredService; reasons: string[] }
  | { action: 'delete'; key: string; service: CatalogService; reasons: string[] };

export interface SyncPlan {
  actions: PlanAction[];
  /** Services left alone: an unmanaged one of the same name exists, or another registrator's. */
  conflicts: string[];
  /** Deletes not planned because the Lambda inventory was incomplete. */
  withheldDeletes: number;
}

export interface PlanInput {
  desired: DesiredService[];
  consul: ConsulSnapshot;
  /** Which managed services are in question: all (full sync) or one function's (event). */
  inScope: (service: CatalogService) => boolean;
  /** False when any inventory read failed: then nothing is deleted. */
  inventoryComplete: boolean;
  /** Unqualified ARNs of functions whose tags could not be acted on: their services stay as they are. */
  protectedFunctions: ReadonlySet<string>;
  /** Keys of desired services whose mTLS extension data is missing or due for re-issue. */
  staleExtensionData?: ReadonlySet<string>;
  /**
   * Managed services another registrator owns (a function of another account or region): never
   * updated or deleted; one a function here also wants is reported as a conflict.
   */
  foreign?: (service: CatalogService) => boolean;
}

/**
 * Desired services against Consul: create what is missing, update what drifted (ARN, invocation
 * mode, payload passthrough, a missing config entry, stale mTLS data), delete managed services no
 * enabled function wants. Pure: the same input always gives the same plan.
 */
export function planSync(input: PlanInput): SyncPlan {
  const { consul } = input;
  const actions: PlanAction[] = [];
  const conflicts: string[] = [];
  const wanted = new Set<string>();
  for (const service of input.desired) {
    const key = serviceKey(service, service.name, consul.localDatacenter);
    wanted.add(key);
    const current = consul.services.get(key);
    if (!current) {
      actions.push({ action: 'create', key, service, reasons: ['not in Consul'] });
      continue;
    }
    if (!current.managed) {
      conflicts.push(`${key}: a service of this name exists without the ${MANAGED_TAG} tag; left alone`);
      continue;
    }
    if (input.foreign?.(current)) {
      conflicts.push(
        `${key}: registered for ${current.lambda?.arn ?? '?'}, a function of another account or region; left alone`,
      );
      continue;
    }
    const reasons = drift(service, current);
    if (input.staleExtensionData?.has(key)) reasons.push('mTLS extension data missing or near expiry');
    if (reasons.length > 0) actions.push({ action: 'update', key, service, reasons });
  }
  let withheldDeletes = 0;
  for (const [key, current] of consul.services) {
    if (!current.managed || wanted.has(key) || !input.inScope(current) || input.foreign?.(current)) continue;
    const owner = current.lambda?.arn ? functionOfArn(current.lambda.arn)?.arn : undefined;
    if (owner !== undefined && input.protectedFunctions.has(owner)) continue;
    if (!input.inventoryComplete) {
      withheldDeletes++;
      continue;
    }
    actions.push({ action: 'delete', key, service: current, reasons: ['no enabled function wants it'] });
  }
  return { actions, conflicts, withheldDeletes };
}

function drift(want: DesiredService, have: CatalogService): string[] {
  if (!have.lambda) return ['no builtin/aws/lambda service-defaults entry'];
  const reasons: string[] = [];
  if (have.lambda.arn !== want.arn) reasons.push(`arn ${have.lambda.arn ?? '(none)'} → ${want.arn}`);
  if (have.lambda.invocationMode !== want.invocationMode)
    reasons.push(`invocationMode ${have.lambda.invocationMode ?? '(none)'} → ${want.invocationMode}`);
  if ((have.lambda.payloadPassthrough ?? false) !== want.payloadPassthrough)
    reasons.push(`payloadPassthrough → ${want.payloadPassthrough}`);
  return reasons;
}
