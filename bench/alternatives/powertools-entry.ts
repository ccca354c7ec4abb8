/** Lambda entry of the usual alternative (cold-start bundle): clients and validator made at init. */
import { createPowertoolsHandler } from './powertools-handler';

export const handler = createPowertoolsHandler();
