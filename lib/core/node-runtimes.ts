import * as lambda from 'aws-cdk-lib/aws-lambda';
import { latestNodeRuntime } from './lambda-runtime';

/** The Lambda Node.js runtimes the library chooses from. */
export class NodeRuntimes {
  /**
   * The newest Node.js runtime the installed aws-cdk-lib defines (the highest `nodejsNN.x`): the
   * runtime the library's functions use by default, and the one cdk-nag's AwsSolutions-L1 and
   * Serverless-LambdaLatestVersion expect.
   */
  public static latest(): lambda.Runtime {
    return latestNodeRuntime();
  }

  private constructor() {}
}
