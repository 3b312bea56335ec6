import { Controller, Get } from '@nestjs/common';
import { HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public, SecurityStorageHealthIndicator } from 'nestjs-rampart';

/**
 * Readiness probe (`@nestjs/terminus`): public; 200 while the security storage answers (`up`, or
 * `degraded` when slow), 503 when it is down (every stateful feature then fails closed).
 */
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly checks: HealthCheckService,
    private readonly storage: SecurityStorageHealthIndicator,
  ) {}

  @Get()
  health(): Promise<HealthCheckResult> {
    return this.checks.check([() => this.storage.isHealthy('securityStorage', { degradedAfterMs: 100 })]);
  }
}
