import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header, NotFoundException, Param, StreamableFile } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public, SecurityHeaders } from 'nestjs-rampart';
import { ApiDocs } from './api-docs.service';

/**
 * Swagger UI needs scripts, styles and data: images from its own origin, which the API preset's
 * `default-src 'none'` forbids: these routes (and only these) relax the CSP just enough.
 */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>nestjs-rampart sample API</title>
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-ui-init.js"></script>
</body>
</html>
`;

/** An external script, so the page needs no 'unsafe-inline' for scripts. */
const INIT = "window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' });\n";

/** The Swagger UI files served, with their types: nothing else of the package is reachable. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/**
 * `/openapi.json` (the enriched OpenAPI document) and Swagger UI at `/docs`. Registered outside
 * production only (see AppModule), public, and excluded from the document itself. Every route
 * answers 404 until `setupApiDocs()` has published the document.
 */
@Public()
@ApiExcludeController()
@SecurityHeaders({ 'Content-Security-Policy': DOCS_CSP })
@Controller()
export class DocsController {
  private readonly assetDir = dirname(require.resolve('swagger-ui-dist/package.json'));
  private readonly cache = new Map<string, Buffer>();

  constructor(private readonly docs: ApiDocs) {}

  @Get('openapi.json')
  @Header('Content-Type', 'application/json; charset=utf-8')
  openapi(): string {
    const json = this.docs.document();
    if (json === undefined) throw new NotFoundException();
    return json;
  }

  @Get('docs')
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    if (this.docs.document() === undefined) throw new NotFoundException();
    return PAGE;
  }

  @Get('docs/swagger-ui-init.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  init(): string {
    if (this.docs.document() === undefined) throw new NotFoundException();
    return INIT;
  }

  @Get('docs/:asset')
  asset(@Param('asset') name: string): StreamableFile {
    const type = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!type || this.docs.document() === undefined) throw new NotFoundException();
    let body = this.cache.get(name);
    if (!body) {
      body = readFileSync(join(this.assetDir, name));
      this.cache.set(name, body);
    }
    return new StreamableFile(body, { type, length: body.length });
  }
}
