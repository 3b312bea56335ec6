export { SECURITY_HEADERS_KEY } from './headers.constants';
export { SecurityHeaders, type SecurityHeadersOverride } from './security-headers.decorator';
export { SecurityHeadersGuard } from './security-headers.guard';
export { SecurityHeadersEdge } from './security-headers.edge';
export { HttpsEnforcementEdge } from './https-enforcement.edge';
