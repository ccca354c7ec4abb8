declare module 'asl-validator' {
  /** asl-validator 4: validates an Amazon States Language definition (it adds `QueryLanguage` to states: pass a copy). */
  export default function validator(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): { isValid: boolean; errors: Array<{ 'Error code': string; Message: string }> };
}
