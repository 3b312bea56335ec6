export * from './security-config.error';
export * from './error-codes';
export * from './security-exception';
export * from './messages.constant';
