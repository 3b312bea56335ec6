import { Module } from '@nestjs/common';
import { SecurityModule, type SecurityModuleOptions } from 'nestjs-rampart';
import { HealthController } from './health/health.controller';
import { DocumentsService } from './documents/documents.service';
import { PaymentsService } from './payments/payments.service';
import { UsersService } from './users/users.service';

/**
 * The sample app's security configuration. Everything comes from the environment:
 * `JWT_SECRET` (a random one per start when unset), `REDIS_URL` (memory stores when unset).
 */
export function sampleSecurityOptions(env: NodeJS.ProcessEnv = process.env): SecurityModuleOptions {
  return {
    storage: env.REDIS_URL
      ? { type: 'redis', url: env.REDIS_URL, keyPrefix: env.REDIS_PREFIX ?? 'rampart-sample:' }
      : { type: 'memory' },
    trustProxy: ['loopback'],
    // [sample:options]
  };
}

@Module({
  imports: [SecurityModule.forRootAsync({ useFactory: () => sampleSecurityOptions() })],
  controllers: [
    HealthController,
    // [sample:controllers]
  ],
  providers: [UsersService, DocumentsService, PaymentsService],
})
export class AppModule {}
