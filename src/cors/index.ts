export { CorsEdge } from './cors.edge';
export { isOriginAllowed } from './cors-origin.util';
export {
  generateCorsPolicy,
  explainCorsPolicy,
  type CorsPolicyReport,
  type GenerateCorsPolicyOptions,
} from './generate-cors-policy';
