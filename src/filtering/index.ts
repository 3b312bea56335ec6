export * from './filtering.constants';
export * from './serialize.decorator';
export * from './allow-sensitive-fields.decorator';
export * from './response-filter.interceptor';
