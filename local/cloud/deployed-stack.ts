import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  paginateListStackResources,
  type StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { GetSessionTokenCommand, STSClient } from '@aws-sdk/client-sts';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { Template } from '../template/template';
import { resourceFromPhysicalId, type PhysicalResource, type Placement } from './physical-resources';

/** The stack cannot be used: missing, failed, or no region or credentials to read it with. */
export class DeployedStackError extends Error {}

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * A stack `sam deploy` created, as `npm start -- --aws` runs the functions against it: where it is,
 * the parameter values it was deployed with, and what each of the template's resources is called
 * there (what `Ref` and `Fn::GetAtt` give).
 */
export interface DeployedStack {
  name: string;
  stackId: string;
  status: string;
  placement: Placement;
  parameters: Record<string, string>;
  pseudo: Record<string, string>;
  /** NoEcho parameters: DescribeStacks hides their values, so the template's defaults stand in. */
  hiddenParameters: string[];
  /** By the template's logical id. A resource the stack does not have is absent. */
  resources: Map<string, PhysicalResource>;
  /**
   * What the functions get as their role's credentials: the shell's (the SDK's provider chain) when
   * they are temporary, else a session STS issues for the shell's long-term keys, which never reach
   * a function (Lambda's are always temporary, and the cache extension's handshake needs the token).
   */
  credentials: AwsCredentials;
  /**
   * The same, fresh, for each new execution environment (as Lambda gives each its role's): the
   * shell's as the SDK refreshes them (SSO, assumed roles), a session for long-term keys re-issued
   * before it expires.
   */
  freshCredentials: () => Promise<AwsCredentials>;
}

/** A session is re-issued when less than this is left of it. */
const SESSION_MARGIN_MS = 5 * 60_000;

/**
 * Statuses in which every resource exists as the last successful deploy left it (the clean-up
 * phases only delete what that deploy replaced).
 */
const USABLE = [
  'CREATE_COMPLETE',
  'UPDATE_COMPLETE',
  'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'IMPORT_COMPLETE',
  'IMPORT_ROLLBACK_COMPLETE',
];

/** What DescribeStacks shows for a NoEcho parameter instead of its value. */
const NO_ECHO = '****';

/** Reads give up rather than hang on a network that drops packets. */
const REQUEST_HANDLER = { connectionTimeout: 5_000, requestTimeout: 20_000 };

/** Temporary credentials for the functions (see `DeployedStack.credentials`). */
async function sessionCredentials(
  region: string,
  shell: AwsCredentials,
  signal: AbortSignal | undefined,
): Promise<{ credentials: AwsCredentials; expiresAt: number }> {
  const sts = new STSClient({ region, credentials: shell, requestHandler: REQUEST_HANDLER });
  try {
    const { Credentials: c } = await sts.send(
      new GetSessionTokenCommand({}),
      signal ? { abortSignal: signal } : {},
    );
    if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken)
      throw new Error('STS returned no credentials');
    return {
      credentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
      },
      expiresAt: c.Expiration?.getTime() ?? Date.now() + 3_600_000,
    };
  } catch (e) {
    signal?.throwIfAborted();
    const explained = explain(e, 'STS', region, 'sts:GetSessionToken');
    throw explained instanceof DeployedStackError
      ? explained
      : new DeployedStackError(
          `the shell's AWS keys are long-term and STS GetSessionToken gave no session for the functions (${(e as Error).message}): use temporary credentials (aws sso login, or a role's profile)`,
        );
  } finally {
    sts.destroy();
  }
}

const REFUSED_CREDENTIALS = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'ECONNRESET',
  'EHOSTUNREACH',
]);

/**
 * An AWS call's failure the user can act on, as one line saying what to do; anything else unchanged.
 * `service` names the service called, `permission` the IAM action it needed.
 */
function explain(e: unknown, service: string, region: string, permission: string): unknown {
  const error = e as Error & { code?: string; $metadata?: unknown };
  const first = (error.message ?? String(e)).split('\n')[0] ?? '';
  if (REFUSED_CREDENTIALS.has(error.name))
    return new DeployedStackError(
      `${service} refused the shell's AWS credentials (${error.name}: ${first}): refresh them (aws sso login) or check AWS_PROFILE`,
    );
  if (error.name === 'AccessDenied' || error.name === 'AccessDeniedException')
    return new DeployedStackError(
      `the shell's AWS credentials may not call ${permission} (${first}): use a role that may`,
    );
  // The SDK may wrap a socket error ("AWS SDK error wrapper for Error: connect ECONNREFUSED …").
  const network = [...NETWORK].find((code) => error.code === code || first.includes(code));
  if (network)
    return new DeployedStackError(
      `${service} in ${region} could not be reached (${network}): check the network, the region (--region), and AWS_ENDPOINT_URL_* if set`,
    );
  return e;
}

/** Credentials for the functions from the shell's provider: see `DeployedStack.freshCredentials`. */
function functionCredentials(
  region: string,
  shell: () => Promise<AwsCredentialIdentity>,
  signal: AbortSignal | undefined,
): () => Promise<AwsCredentials> {
  let session: { forKey: string; credentials: AwsCredentials; expiresAt: number } | undefined;
  return async () => {
    const { accessKeyId, secretAccessKey, sessionToken } = await shell();
    if (sessionToken) return { accessKeyId, secretAccessKey, sessionToken };
    if (session?.forKey !== accessKeyId || session.expiresAt - Date.now() < SESSION_MARGIN_MS) {
      const issued = await sessionCredentials(region, { accessKeyId, secretAccessKey }, signal);
      session = { forKey: accessKeyId, ...issued };
    }
    return session.credentials;
  };
}

const HOW_TO_CONFIGURE = 'configure the shell as for the AWS CLI (aws configure, aws sso login, AWS_PROFILE)';

/** `arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<id>` */
function placementOf(stackId: string): Placement {
  const [, partition = 'aws', , region = '', accountId = ''] = stackId.split(':');
  return {
    partition,
    region,
    accountId,
    urlSuffix: partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com',
  };
}

/**
 * The stack's resource for each template resource: the same logical id, except SAM layers, which
 * the transform renames `<LogicalId><hash>`.
 */
function matchResources(
  template: Template,
  summaries: StackResourceSummary[],
  at: Placement,
): Map<string, PhysicalResource> {
  const out = new Map<string, PhysicalResource>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const summary =
      summaries.find((s) => s.LogicalResourceId === id) ??
      (resource.Type === 'AWS::Serverless::LayerVersion'
        ? summaries.find(
            (s) =>
              s.ResourceType === 'AWS::Lambda::LayerVersion' &&
              new RegExp(`^${id}[0-9a-f]{10}$`).test(s.LogicalResourceId ?? ''),
          )
        : undefined);
    if (!summary?.PhysicalResourceId || !summary.ResourceType) continue;
    const described = resourceFromPhysicalId(summary.ResourceType, summary.PhysicalResourceId, at);
    if (described) out.set(id, described);
  }
  return out;
}

/**
 * Reads the deployed stack through CloudFormation with the shell's AWS configuration (region and
 * credentials as the AWS CLI finds them; `AWS_ENDPOINT_URL_CLOUDFORMATION` is honoured, as by every
 * SDK client).
 */
export async function readDeployedStack(
  template: Template,
  stackName: string,
  options: { region?: string; signal?: AbortSignal } = {},
): Promise<DeployedStack> {
  // The shell's credentials as the AWS CLI finds them, refreshed by the SDK when they expire.
  const shell = defaultProvider();
  const client = new CloudFormationClient({
    ...(options.region ? { region: options.region } : {}),
    credentials: shell,
    requestHandler: REQUEST_HANDLER,
  });
  const abortable = options.signal ? { abortSignal: options.signal } : {};
  try {
    const region = await client.config.region().catch(() => '');
    if (!region)
      throw new DeployedStackError(`no AWS region: pass --region, set AWS_REGION, or ${HOW_TO_CONFIGURE}`);
    await shell().catch((e: Error) => {
      throw new DeployedStackError(`no AWS credentials (${e.message.split('\n')[0]}): ${HOW_TO_CONFIGURE}`);
    });
    const freshCredentials = functionCredentials(region, shell, options.signal);
    const described = await client
      .send(new DescribeStacksCommand({ StackName: stackName }), abortable)
      .catch((e) => {
        options.signal?.throwIfAborted();
        if (e instanceof CloudFormationServiceException && /does not exist/.test(e.message))
          throw new DeployedStackError(
            `stack ${stackName} does not exist in ${region}: deploy it first (sam deploy --guided), or name the deployed one with --stack <name>`,
          );
        throw explain(e, 'CloudFormation', region, 'cloudformation:DescribeStacks');
      });
    const stack = described.Stacks?.[0];
    if (!stack?.StackId || !stack.StackStatus)
      throw new DeployedStackError(`CloudFormation described no stack ${stackName} in ${region}`);
    if (!USABLE.includes(stack.StackStatus))
      throw new DeployedStackError(
        `stack ${stackName} is ${stack.StackStatus}: run against it once a deploy has completed (${USABLE.join(', ')})`,
      );
    const placement = placementOf(stack.StackId);
    const summaries: StackResourceSummary[] = [];
    try {
      const pages = paginateListStackResources({ client }, { StackName: stack.StackId }, abortable);
      for await (const page of pages) {
        options.signal?.throwIfAborted();
        summaries.push(...(page.StackResourceSummaries ?? []));
      }
    } catch (e) {
      options.signal?.throwIfAborted();
      throw explain(e, 'CloudFormation', region, 'cloudformation:ListStackResources');
    }
    const shown = (stack.Parameters ?? []).filter((p) => p.ParameterKey && p.ParameterValue !== NO_ECHO);
    return {
      name: stackName,
      stackId: stack.StackId,
      status: stack.StackStatus,
      placement,
      parameters: Object.fromEntries(
        shown.map((p) => [p.ParameterKey!, p.ResolvedValue ?? p.ParameterValue ?? '']),
      ),
      hiddenParameters: (stack.Parameters ?? [])
        .filter((p) => p.ParameterKey && p.ParameterValue === NO_ECHO)
        .map((p) => p.ParameterKey!),
      pseudo: {
        'AWS::AccountId': placement.accountId,
        'AWS::Region': placement.region,
        'AWS::Partition': placement.partition,
        'AWS::URLSuffix': placement.urlSuffix,
        'AWS::StackName': stack.StackName ?? stackName,
        'AWS::StackId': stack.StackId,
      },
      resources: matchResources(template, summaries, placement),
      credentials: await freshCredentials(),
      freshCredentials,
    };
  } finally {
    client.destroy();
  }
}
