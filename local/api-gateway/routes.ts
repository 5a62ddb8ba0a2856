import { readTemplate } from '../template/document';

/**
 * The HTTP API's routes as the template declares them (`AWS::ApiGatewayV2::Route` -> integration ->
 * function), and API Gateway's rule for picking one: a route of the request's method before `ANY`,
 * literal segments before `{param}`, `{proxy+}` last. Pure.
 */
export interface HttpRoute {
  readonly routeKey: string;
  readonly method: string;
  readonly segments: readonly string[];
  readonly functionLogicalId: string;
}

const ROUTE_TYPE = 'AWS::ApiGatewayV2::Route';
const INTEGRATION_TYPE = 'AWS::ApiGatewayV2::Integration';

export class UnsupportedRouteError extends Error {
  override name = 'UnsupportedRouteError';
}

const findIntrinsic = (value: unknown, name: 'Ref' | 'Fn::GetAtt'): unknown => {
  if (value === null || typeof value !== 'object') return undefined;
  if (name in value) return (value as Record<string, unknown>)[name];
  for (const child of Object.values(value)) {
    const found = findIntrinsic(child, name);
    if (found !== undefined) return found;
  }
  return undefined;
};

export const httpRoutesOf = (template: unknown): HttpRoute[] => {
  const { resources } = readTemplate(template);
  const routes: HttpRoute[] = [];
  for (const resource of resources.values()) {
    if (resource.type !== ROUTE_TYPE) continue;
    const routeKey = String(resource.properties.RouteKey);
    const integrationId = findIntrinsic(resource.properties.Target, 'Ref');
    const integration = typeof integrationId === 'string' ? resources.get(integrationId) : undefined;
    if (integration?.type !== INTEGRATION_TYPE) {
      throw new UnsupportedRouteError(`route "${routeKey}" (${resource.logicalId}) has no Lambda integration`);
    }
    const getAtt = findIntrinsic(integration.properties.IntegrationUri, 'Fn::GetAtt');
    const functionLogicalId = Array.isArray(getAtt) ? String(getAtt[0]) : undefined;
    if (functionLogicalId === undefined) {
      throw new UnsupportedRouteError(`route "${routeKey}" does not integrate a function of this template`);
    }
    const [method = '', path = ''] = routeKey === '$default' ? ['ANY', '/{proxy+}'] : routeKey.split(' ');
    routes.push({ routeKey, method: method.toUpperCase(), segments: path.split('/').filter(Boolean), functionLogicalId });
  }
  return routes;
};

const matches = (route: HttpRoute, method: string, segments: readonly string[]): boolean => {
  if (route.method !== 'ANY' && route.method !== method) return false;
  for (let i = 0; i < route.segments.length; i++) {
    const pattern = route.segments[i]!;
    if (/^\{\w+\+\}$/.test(pattern)) return segments.length > i;
    if (segments[i] === undefined) return false;
    if (!/^\{\w+\}$/.test(pattern) && pattern !== segments[i]) return false;
  }
  return segments.length === route.segments.length;
};

const specificity = (route: HttpRoute): number[] => [
  route.method === 'ANY' ? 0 : 1,
  route.segments.some((s) => s.endsWith('+}')) ? 0 : 1,
  route.segments.filter((s) => !s.startsWith('{')).length,
];

const compare = (a: number[], b: number[]): number => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return b[i]! - a[i]!;
  return 0;
};

export const selectRoute = (routes: readonly HttpRoute[], method: string, path: string): HttpRoute | undefined => {
  const segments = path.split('/').filter(Boolean);
  return routes
    .filter((route) => matches(route, method.toUpperCase(), segments))
    .sort((a, b) => compare(specificity(a), specificity(b)))[0];
};
