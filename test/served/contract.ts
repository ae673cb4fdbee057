/**
 * Checks a response against the OpenAPI document the worker serves: the status is documented for the
 * operation, the content type is one of the documented ones, the JSON body validates against the
 * documented schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses), and every API-specific header sent
 * is documented for that status, with a value its schema accepts. Used by the client and the
 * over-HTTP robustness suites, so every response they see is held to the document.
 */
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

type Json = Record<string, any>;

/** Headers the API itself decides (so the document must describe them); transport and CORS headers aside. */
const API_HEADERS = ['x-seed', 'x-seed-from', 'x-seed-to', 'x-model-version', 'etag', 'cache-control', 'vary', 'retry-after', 'allow'];

export class Contract {
  private readonly ajv: InstanceType<typeof Ajv2020>;
  private readonly compiled = new Map<string, ReturnType<InstanceType<typeof Ajv2020>['compile']>>();

  constructor(readonly doc: Json) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (ajv: unknown) => void)(this.ajv);
    this.ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ $id: 'openapi', components: doc.components });
  }

  /** The document's path template for a concrete path, e.g. /v1/digits/3 -> /v1/digits/{digit}. */
  template(path: string): string | undefined {
    return Object.keys(this.doc.paths).find((t) =>
      new RegExp(`^${t.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
    );
  }

  private validator(key: string, schema: Json) {
    let validate = this.compiled.get(key);
    if (!validate) {
      const rewritten = JSON.parse(JSON.stringify(schema).replace(/"#\/components\//g, '"openapi#/components/'));
      validate = this.ajv.compile(rewritten);
      this.compiled.set(key, validate);
    }
    return validate;
  }

  /**
   * Problems of one response (empty when it matches the document). `body` is the response's bytes
   * (empty for HEAD and 304). Paths and methods the document does not describe are skipped (their
   * answers, 404 and 405, follow the Error schema and are checked by the robustness rules).
   */
  check(method: string, pathAndQuery: string, res: Response, body: Uint8Array): string[] {
    const path = pathAndQuery.split('?')[0];
    const template = this.template(path);
    const operation = template && this.doc.paths[template][method === 'HEAD' ? 'get' : method.toLowerCase()];
    if (!operation) return [];
    const where = `${method} ${pathAndQuery.slice(0, 100)} -> ${res.status}`;
    const documented = operation.responses[String(res.status)];
    if (!documented) return [`${where}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
    const problems: string[] = [];
    const headers = Object.fromEntries(Object.entries(documented.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v as Json]));
    res.headers.forEach((value, name) => {
      if (!API_HEADERS.includes(name)) return;
      const doc = headers[name];
      if (!doc) return problems.push(`${where}: header ${name} not documented`);
      const schema = doc.schema ?? {};
      const parsed = schema.type === 'integer' ? Number(value) : value;
      const validate = this.validator(`${method} ${template} ${res.status} header ${name}`, schema);
      if (!validate(parsed)) problems.push(`${where}: header ${name}: ${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`);
    });
    const contentType = res.headers.get('content-type');
    if (res.status === 304 || method === 'HEAD') return problems;
    const types = Object.keys(documented.content ?? {});
    const mediaType = types.find((t) => contentType?.split(';')[0].trim() === t);
    if (!mediaType) return [...problems, `${where}: content-type ${contentType} not documented (${types.join(', ') || 'no body'})`];
    if (mediaType === 'application/json') {
      let json: unknown;
      try {
        json = JSON.parse(new TextDecoder().decode(body));
      } catch {
        return [...problems, `${where}: body is not JSON`];
      }
      const validate = this.validator(`${method} ${template} ${res.status} body`, documented.content[mediaType].schema);
      if (!validate(json)) problems.push(`${where}: body: ${this.ajv.errorsText(validate.errors)}`);
    }
    if (res.headers.has('content-length') && Number(res.headers.get('content-length')) !== body.length) {
      problems.push(`${where}: Content-Length ${res.headers.get('content-length')} but ${body.length} bytes`);
    }
    return problems;
  }
}
