export { DEPRECATED_KEY } from './deprecation.constants';
export { Deprecated, type DeprecatedOptions } from './deprecated.decorator';
export { DeprecationGuard } from './deprecation.guard';
