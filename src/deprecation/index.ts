export { DEPRECATED_KEY } from './deprecation.constants';
export { Deprecated, type DeprecatedOptions } from './deprecated.decorator';
export { DeprecationInterceptor } from './deprecation.interceptor';
