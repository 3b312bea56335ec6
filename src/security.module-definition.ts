import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { SecurityModuleOptions } from './security.options';

/** @internal */
export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<SecurityModuleOptions>({ moduleName: 'Security' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createSecurityOptions')
    .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();

/** Options of `SecurityModule.forRootAsync()`. @publicApi */
export type SecurityModuleAsyncOptions = typeof ASYNC_OPTIONS_TYPE;

/** A class that creates the options for `forRootAsync({ useClass })`. @publicApi */
export interface SecurityOptionsFactory {
  createSecurityOptions(): SecurityModuleOptions | Promise<SecurityModuleOptions>;
}
