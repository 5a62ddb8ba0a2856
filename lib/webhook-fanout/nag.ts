import { CfnResource, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';

/*
 * The cdk-nag findings the construct keeps on purpose, each acknowledged on the one template resource
 * it concerns, with the reason (the list, and why, is in docs/security.md, "cdk-nag allow-list").
 */

/** Records, on the one template resource it concerns, that a cdk-nag finding is deliberate, and why. */
function acknowledge(resource: CfnResource, id: string, reason: string): void {
  Validations.of(resource).acknowledge({ id, reason });
}

/** On each function, whose runtime is older than the newest one cdk-nag knows. */
export function acknowledgeRuntimePin(fn: lambda.CfnFunction): void {
  acknowledge(
    fn,
    'AwsSolutions-L1',
    'Pinned on purpose to nodejs22.x, a supported LTS runtime: the bundles are built for node22 (esbuild target) ' +
      'and tested on it. L1 flags anything older than the newest runtime this CDK version knows (nodejs24.x); ' +
      'moving runtimes is a reviewed change, not one that follows NODEJS_LATEST.',
  );
}

/** On the role of a function in a VPC, whose network-interface actions need Resource "*". */
export function acknowledgeVpcNetworkInterfaceWildcard(role: iam.Role): void {
  acknowledge(
    role.node.defaultChild as CfnResource,
    'AwsSolutions-IAM5[Resource::*]',
    'Only the VpcNetworkInterfaces inline policy of this role uses Resource "*": the network-interface actions ' +
      'Lambda needs to place a function in a VPC, the same as AWSLambdaVPCAccessExecutionRole minus its logs ' +
      'actions. ec2:DescribeNetworkInterfaces works on "*" only, and Lambda creates the interfaces itself.',
  );
}

/**
 * The table and queue grants add `kms:GenerateDataKey*` and `kms:ReEncrypt*` for the customer-managed key
 * (what DynamoDB and SQS server-side encryption ask of the caller). The statement's only resource is that
 * key's ARN, so the wildcard spans variants of two actions on one key, never other keys.
 */
export function acknowledgeKeyGrantWildcards(fn: lambda.Function): void {
  const policy = fn.role?.node.tryFindChild('DefaultPolicy')?.node.defaultChild;
  if (!(policy instanceof CfnResource)) throw new Error(`${fn.node.path} has no default policy to acknowledge`);
  const reason =
    'Added by the DynamoDB table and SQS queue grants for the one customer-managed key that encrypts them; ' +
    'the statement is scoped to that key ARN alone.';
  acknowledge(policy, 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]', reason);
  acknowledge(policy, 'AwsSolutions-IAM5[Action::kms:ReEncrypt*]', reason);
}

/** On the routes to the ingest function, which has no API Gateway authorizer. */
export function acknowledgeIngestRouteAuthentication(route: CfnResource): void {
  acknowledge(
    route,
    'AwsSolutions-APIG4',
    'The ingest function authenticates every request itself (Bearer API key: checksum, SHA-256 hash, ' +
      'revocation) and requires the events:write scope; an HTTP API authorizer would answer with fixed ' +
      'bodies and statuses that break the documented error contract.',
  );
}

/** On the routes to the api function, which has no API Gateway authorizer. */
export function acknowledgeApiRouteAuthentication(route: CfnResource): void {
  acknowledge(
    route,
    'AwsSolutions-APIG4',
    'The api function authenticates every request itself with the same middleware as ingest and checks ' +
      "each route's scope; only routes public by design (GET /health) skip the key. An HTTP API authorizer " +
      "cannot answer 401/403 in the API's error shape, nor 404/405 for unknown routes.",
  );
}
