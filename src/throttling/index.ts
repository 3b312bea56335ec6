export * from './rate-limit.constants';
export * from './rate-limit.decorator';
export * from './rate-limiter.service';
export * from './rate-limit-base.guard';
export * from './rate-limit.guard';
export * from './principal-rate-limit.guard';
export * from './login-rate-limit.interceptor';
