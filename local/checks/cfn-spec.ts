import { loadAwsServiceSpecSync } from '@aws-cdk/aws-service-spec';
import type { SpecDatabase, Resource, TypeDefinition, PropertyType } from '@aws-cdk/service-spec-types';

/** The CloudFormation resource specification (the same database aws-cdk-lib is generated from). */
let db: SpecDatabase | undefined;
const spec = (): SpecDatabase => (db ??= loadAwsServiceSpecSync());

export function cfnResource(type: string): Resource | undefined {
  const found = spec().lookup('resource', 'cloudFormationType', 'equals', type);
  return found.length === 1 ? found[0] : undefined;
}

export function cfnTypeDefinition(ref: string): TypeDefinition {
  return spec().get('typeDefinition', ref);
}

export type { PropertyType, Resource as CfnResource, TypeDefinition };
