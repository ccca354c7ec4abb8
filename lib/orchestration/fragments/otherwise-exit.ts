import * as sfn from 'aws-cdk-lib/aws-stepfunctions';

/**
 * The `otherwise` branch of `choice` as a fragment's end state: chaining a state after the
 * fragment makes it the choice's default. Unlike `Choice.afterwards()`, it never also chains the
 * ends of the choice's other branches (which lead elsewhere: the DLQ, the drift response).
 */
export function otherwiseExit(choice: sfn.Choice): sfn.INextable {
  return {
    next(state: sfn.IChainable): sfn.Chain {
      choice.otherwise(state);
      return sfn.Chain.custom(choice, state.endStates, state);
    },
  };
}
