import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { validateBody } from './validate';

/**
 * `POST /customizations` on the samples' REST API (API key, usage plan, CustomizationPost model and
 * body validator, optional WAF): validates the body again with the same schema and stores a valid
 * customization in DynamoDB under a new id. Invalid input is a 400 with the reasons; a storage
 * failure is a 502 with no internals.
 */
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));

export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  const table = process.env.CUSTOMIZATIONS_TABLE;
  if (!table) return json(500, { message: 'CUSTOMIZATIONS_TABLE is not configured' });
  if (typeof event !== 'object' || event === null)
    return json(400, { message: 'Invalid request', errors: ['the event is not an API Gateway request'] });
  const result = validateBody(event.body, event.isBase64Encoded === true);
  if (!result.ok) return json(400, { message: 'Invalid request body', errors: result.errors });
  const id = randomUUID();
  try {
    await documents.send(
      new PutCommand({
        TableName: table,
        Item: { id, ...result.value, createdAt: new Date().toISOString() },
        ConditionExpression: 'attribute_not_exists(id)',
      }),
    );
  } catch (e) {
    console.error(`customizations: PutItem failed (${(e as Error).name})`);
    return json(502, { message: 'The customization could not be stored' });
  }
  return json(201, { id });
};

const json = (statusCode: number, body: unknown): APIGatewayProxyResult => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});
