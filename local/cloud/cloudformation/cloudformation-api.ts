import { QueryError, startQueryServer, xmlElement, type QueryServer } from '../aws-query-protocol';

/**
 * The two CloudFormation reads `npm start -- --aws` makes (DescribeStacks, ListStackResources), as
 * CloudFormation answers them. It stands in for a deployed stack in tests; the local cloud itself
 * never deploys anything, and any other action is InvalidAction.
 */

export interface StackResourceDescription {
  logicalId: string;
  physicalId: string;
  type: string;
}

export interface StackDescription {
  name: string;
  /** `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>` */
  stackId: string;
  status: string;
  parameters: Record<string, string>;
  resources: StackResourceDescription[];
}

function describeStacks(stack: StackDescription): string {
  const parameters = Object.entries(stack.parameters)
    .map(([k, v]) => `<member>${xmlElement('ParameterKey', k)}${xmlElement('ParameterValue', v)}</member>`)
    .join('');
  return (
    '<Stacks><member>' +
    xmlElement('StackId', stack.stackId) +
    xmlElement('StackName', stack.name) +
    xmlElement('CreationTime', new Date(0).toISOString()) +
    xmlElement('StackStatus', stack.status) +
    `<Parameters>${parameters}</Parameters>` +
    '</member></Stacks>'
  );
}

function listStackResources(stack: StackDescription, nextToken: string | null, pageSize: number): string {
  const start = nextToken === null ? 0 : Number(nextToken);
  if (!Number.isInteger(start) || start < 0 || start > stack.resources.length)
    throw new QueryError('ValidationError', 'Invalid NextToken');
  const members = stack.resources
    .slice(start, start + pageSize)
    .map(
      (r) =>
        '<member>' +
        xmlElement('LogicalResourceId', r.logicalId) +
        xmlElement('PhysicalResourceId', r.physicalId) +
        xmlElement('ResourceType', r.type) +
        xmlElement('LastUpdatedTimestamp', new Date(0).toISOString()) +
        xmlElement('ResourceStatus', 'CREATE_COMPLETE') +
        '</member>',
    )
    .join('');
  const next = start + pageSize < stack.resources.length ? String(start + pageSize) : undefined;
  return `<StackResourceSummaries>${members}</StackResourceSummaries>${xmlElement('NextToken', next)}`;
}

export function startCloudFormationApi(
  stacks: StackDescription[],
  options: { pageSize?: number; accessKeys?: string[] } = {},
): Promise<QueryServer> {
  const pageSize = options.pageSize ?? 100;
  const find = (nameOrId: string | null) => {
    const stack = stacks.find((s) => s.name === nameOrId || s.stackId === nameOrId);
    if (!stack) throw new QueryError('ValidationError', `Stack with id ${nameOrId ?? ''} does not exist`);
    return stack;
  };
  return startQueryServer({
    namespace: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
    ...(options.accessKeys ? { accessKeys: options.accessKeys } : {}),
    actions: {
      DescribeStacks: (form) => describeStacks(find(form.get('StackName'))),
      ListStackResources: (form) =>
        listStackResources(find(form.get('StackName')), form.get('NextToken'), pageSize),
    },
  });
}
