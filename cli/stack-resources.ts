import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { STACK_OUTPUTS, type StackOutputId } from '../lib/stack-outputs';

export class StackLookupError extends Error {
  override name = 'StackLookupError';
}

/** Reads one output of a deployed stack with the operator's own AWS credentials. */
export const stackOutput = async (
  stackName: string,
  outputId: StackOutputId,
  client: CloudFormationClient = new CloudFormationClient({}),
): Promise<string> => {
  let outputs;
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    throw new StackLookupError(`could not read stack "${stackName}": ${(error as Error).message}`);
  }
  const value = outputs.find((output) => output.OutputKey === outputId)?.OutputValue;
  if (value === undefined) {
    throw new StackLookupError(`stack "${stackName}" has no output ${outputId}; is it a webhook-fanout stack?`);
  }
  return value;
};

export { STACK_OUTPUTS };
