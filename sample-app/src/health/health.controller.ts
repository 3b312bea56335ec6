import { Controller, Get } from '@nestjs/common';
import { Public } from 'nestjs-rampart';

/** Liveness probe: public, answers 200 once the app is ready. */
@Public()
@Controller('health')
export class HealthController {
  @Get()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
