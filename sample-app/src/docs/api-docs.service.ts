import { Injectable } from '@nestjs/common';

/** Holds the sample app's OpenAPI document, serialised once when `setupApiDocs()` publishes it. */
@Injectable()
export class ApiDocs {
  private json: string | undefined;

  publish(document: object): void {
    this.json = JSON.stringify(document);
  }

  /** The document as JSON text (a string: the response filter leaves it as written), if published. */
  document(): string | undefined {
    return this.json;
  }
}
