// The Swagger UI page at /swagger: the server's own OpenAPI document, with Authorize signing in through the
// token endpoint (the document's OAuth2 password flow), so that a reader can try every call.
import SwaggerUI from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import 'swagger-ui-dist/swagger-ui.css';

SwaggerUI({
  url: '/api/v1/openapi.json',
  dom_id: '#swagger',
  deepLinking: true,
  // No call to the public validator service: the page asks nothing of any other origin.
  validatorUrl: null,
  tryItOutEnabled: false,
  persistAuthorization: false,
});
