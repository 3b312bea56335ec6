import {
  Controller,
  Get,
  type INestApplication,
  Module,
  Param,
  RequestMethod,
  Version,
  VERSION_NEUTRAL,
  VersioningType,
} from '@nestjs/common';
import { RouterModule } from '@nestjs/core';
import { Public, SecurityInventory, SecurityModule } from 'nestjs-rampart';
import { ADAPTERS, bootApp } from '../utils/app';

/** The inventory lists routes at the paths Nest serves: global prefix and exclusions, URI versions, RouterModule. */
@Public()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
class HealthController {
  @Get()
  health(): string {
    return 'ok';
  }
}

@Public()
@Controller('items')
class ItemsController {
  @Get('multi')
  @Version(['3', VERSION_NEUTRAL])
  multi(): string {
    return 'multi';
  }

  @Get(':id')
  v1(@Param('id') id: string): string {
    return `v1 ${id}`;
  }

  @Get(':id')
  @Version('2')
  v2(@Param('id') id: string): string {
    return `v2 ${id}`;
  }
}

@Public()
@Controller('stats')
class StatsController {
  @Get()
  stats(): string {
    return 'stats';
  }
}

@Module({ controllers: [StatsController] })
class ReportsModule {}

@Module({
  imports: [
    SecurityModule.forRoot({ events: { logger: false }, inventory: { printTable: false } }),
    ReportsModule,
    RouterModule.register([{ path: 'reports', module: ReportsModule }]),
  ],
  controllers: [HealthController, ItemsController],
})
class PathsAppModule {}

describe.each(ADAPTERS)('route inventory paths (%s)', (adapter) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await bootApp(adapter, PathsAppModule, undefined, (a) => {
      a.setGlobalPrefix('api', { exclude: [{ path: 'health', method: RequestMethod.GET }] });
      a.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
    }));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('lists every route at the path it is served at', async () => {
    const routes = app.get(SecurityInventory).routes();
    expect(routes.map((r) => `${r.id} ${r.handler}`).sort()).toEqual(
      [
        'GET /api/items/multi multi',
        'GET /api/v1/items/:id v1',
        'GET /api/v1/reports/stats stats',
        'GET /api/v2/items/:id v2',
        'GET /api/v3/items/multi multi',
        'GET /health health',
      ].sort(),
    );
    for (const route of routes) {
      const res = await fetch(`${url}${route.path.replace(':id', '7')}`);
      expect([route.id, res.status]).toEqual([route.id, 200]);
    }
  });
});
