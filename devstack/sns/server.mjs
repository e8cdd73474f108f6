// Local SNS for the devstack: the SNSServer class of serverless-offline-sns 0.78.2 in a plain express app,
// with its bugs fixed here (node_modules is never edited):
//  1. ResponseMetadata came before the result element, so the AWS Java SDK read null TopicArn/SubscriptionArn:
//     every response is reordered to put ResponseMetadata last.
//  2. Delivery to an SQS subscription without raw delivery sent nothing (it expected a Lambda-style Records
//     wrapper). Deliveries are rewritten: RawMessageDelivery=true sends the raw message body (with the message
//     attributes as SQS message attributes), otherwise the standard SNS JSON envelope, like real SNS.
//  3. A failed delivery was an unhandled promise rejection that killed node: deliveries are caught and logged,
//     and a process-wide unhandledRejection handler logs instead of exiting.
// Also added: SetSubscriptionAttributes, GetSubscriptionAttributes, GetTopicAttributes, DeleteTopic,
// ListSubscriptionsByTopic, SQS endpoints given as queue ARNs, and SNS-style XML errors instead of HTML 500s.
//
// Usage: node sns/server.mjs --port P [--host 127.0.0.1] [--region us-east-1] [--account-id 000000000000]
//                            [--sqs-endpoint http://127.0.0.1:Q]
// Environment: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (credentials for deliveries into SQS), SNS_DEBUG=1.
import express from "express";
import { SQSClient, SendMessageCommand, GetQueueUrlCommand } from "@aws-sdk/client-sqs";
import { SNSServer } from "../node_modules/serverless-offline-sns/dist/sns-server.js";
import {
  createAttr,
  createMetadata,
  createMessageId,
  createSnsTopicEvent,
} from "../node_modules/serverless-offline-sns/dist/helpers.js";

function parseArgs(argv) {
  const opts = { host: "127.0.0.1", region: "us-east-1", accountId: "000000000000", sqsEndpoint: undefined };
  for (let i = 0; i < argv.length; i++) {
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value for ${argv[i]}`);
      return argv[++i];
    };
    switch (argv[i]) {
      case "--port": opts.port = Number(next()); break;
      case "--host": opts.host = next(); break;
      case "--region": opts.region = next(); break;
      case "--account-id": opts.accountId = next(); break;
      case "--sqs-endpoint": opts.sqsEndpoint = next(); break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port <= 0) throw new Error("--port is required");
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const debugEnabled = !!process.env.SNS_DEBUG;
const log = (msg) => console.log(`${new Date().toISOString()} sns: ${msg}`);
const debug = (msg) => { if (debugEnabled) log(typeof msg === "string" ? msg : JSON.stringify(msg)); };

// Bug 3: never let a stray rejection kill the emulator.
process.on("unhandledRejection", (reason) => log(`unhandled rejection (ignored): ${reason?.stack ?? reason}`));

const NS = "http://sns.amazonaws.com/doc/2010-03-31/";
const esc = (s) => String(s ?? "")
  .replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
const requestId = () => createMessageId();
const sendXml = (res, status, body) => res.status(status).type("text/xml").send(body);
const okXml = (action, result = "") =>
  `<${action}Response xmlns="${NS}">${result}<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></${action}Response>`;
const attributesXml = (attrs) => "<Attributes>" + Object.entries(attrs)
  .filter(([, v]) => v !== undefined)
  .map(([k, v]) => `<entry><key>${esc(k)}</key><value>${esc(v)}</value></entry>`)
  .join("") + "</Attributes>";

class SnsError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
const notFound = (what) => new SnsError(404, "NotFound", `${what} does not exist`);
const invalid = (message) => new SnsError(400, "InvalidParameter", `Invalid parameter: ${message}`);

// Bug 1: the response objects handed to `xml` list [attributes, ResponseMetadata, result]; move the metadata last.
function metadataLast(response) {
  for (const key of Object.keys(response)) {
    const parts = response[key];
    if (Array.isArray(parts)) {
      const meta = parts.filter((p) => p && Object.prototype.hasOwnProperty.call(p, "ResponseMetadata"));
      const rest = parts.filter((p) => !(p && Object.prototype.hasOwnProperty.call(p, "ResponseMetadata")));
      response[key] = [...rest, ...meta];
    }
  }
  return response;
}

function toSqsMessageAttributes(messageAttributes) {
  const out = {};
  for (const [name, { Type, Value }] of Object.entries(messageAttributes ?? {})) {
    if (Type && Type.startsWith("Binary")) {
      out[name] = { DataType: Type, BinaryValue: Buffer.from(Value ?? "", "base64") };
    } else {
      out[name] = { DataType: Type ?? "String", StringValue: Value };
    }
  }
  return Object.keys(out).length ? out : undefined;
}

class DevstackSNSServer extends SNSServer {
  sqsClients = new Map();
  queueUrls = new Map();

  listTopics() { return metadataLast(super.listTopics()); }
  listSubscriptions() { return metadataLast(super.listSubscriptions()); }
  createTopic(name) {
    if (!name) throw invalid("Name");
    return metadataLast(super.createTopic(name));
  }
  unsubscribe(arn) { return metadataLast(super.unsubscribe(arn)); }
  subscribe(endpoint, protocol, arn, body) {
    if (!arn) throw invalid("TopicArn");
    if (!protocol) throw invalid("Protocol");
    if (!endpoint) throw invalid("Endpoint");
    const response = metadataLast(super.subscribe(endpoint, protocol, arn, body));
    // Re-subscribing with new attributes: the upstream code keeps the old ones; merge the new ones in.
    const subscriptionArn = response.SubscribeResponse.find((p) => p.SubscribeResult)?.SubscribeResult[0].SubscriptionArn;
    const sub = this.subscriptions.find((s) => s.SubscriptionArn === subscriptionArn);
    if (sub) {
      const attrs = {};
      for (const key of Object.keys(body).filter((k) => /^Attributes\.entry\.\d+\.key$/.test(k))) {
        attrs[body[key]] = body[key.replace(/\.key$/, ".value")];
      }
      for (const [k, v] of Object.entries(attrs)) this.setAttribute(sub, k, v);
    }
    return response;
  }

  setAttribute(sub, name, value) {
    sub.Attributes = sub.Attributes ?? {};
    sub.Attributes[name] = value;
    if (name === "FilterPolicy") sub.Policies = value ? JSON.parse(value) : undefined;
  }

  // Bug 2 (and per-subscription ordering): deliveries are chained per subscription and never reject.
  publish(topicArn, subject, message, messageStructure, messageAttributes, messageGroupId) {
    const messageId = createMessageId();
    for (const sub of this.subscriptions.filter((s) => s.TopicArn === topicArn)) {
      if (sub.Policies && !this.evaluatePolicies(sub.Policies, messageAttributes)) {
        debug(`filter policy failed, skipping ${sub.Endpoint}`);
        continue;
      }
      const protocol = (sub.Protocol || "http").toLowerCase();
      let body = message;
      if (messageStructure === "json") {
        const parsed = JSON.parse(message);
        body = typeof parsed[protocol] === "string" ? parsed[protocol] : parsed.default;
      }
      const raw = sub.Attributes?.RawMessageDelivery === "true";
      const event = raw
        ? body
        : JSON.stringify(createSnsTopicEvent(topicArn, sub.SubscriptionArn, subject, body, messageId, undefined,
            messageAttributes, messageGroupId));
      const deliver = () => {
        if (protocol === "sqs") return this.publishSqs(event, sub, raw ? messageAttributes : {}, messageGroupId);
        if (protocol === "http" || protocol === "https") return this.publishHttp(event, sub, raw);
        return Promise.reject(new Error(`protocol '${protocol}' is not supported`));
      };
      sub.deliveryChain = (sub.deliveryChain ?? Promise.resolve())
        .then(deliver)
        .then(() => debug(`delivered ${messageId} to ${sub.Endpoint}`))
        .catch((err) => log(`delivery of ${messageId} to ${sub.Endpoint} failed: ${err?.stack ?? err}`));
    }
    return {
      PublishResponse: [createAttr(), { PublishResult: [{ MessageId: messageId }] }, createMetadata()],
    };
  }

  sqsClient(endpoint) {
    let client = this.sqsClients.get(endpoint);
    if (!client) {
      client = new SQSClient({
        endpoint,
        region: this.region,
        credentials: {
          accessKeyId: process.env.AWS_ACCESS_KEY_ID || "test",
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY || "test",
        },
      });
      this.sqsClients.set(endpoint, client);
    }
    return client;
  }

  async queueTarget(sub) {
    const endpoint = sub.Endpoint;
    if (endpoint.startsWith("arn:")) {
      // arn:aws:sqs:region:account:name
      if (!opts.sqsEndpoint) throw new Error(`SQS endpoint ${endpoint} is an ARN but no --sqs-endpoint was given`);
      const client = this.sqsClient(opts.sqsEndpoint);
      const parts = endpoint.split(":");
      let queueUrl = this.queueUrls.get(endpoint);
      if (!queueUrl) {
        const result = await client.send(new GetQueueUrlCommand({ QueueName: parts[5], QueueOwnerAWSAccountId: parts[4] }));
        queueUrl = result.QueueUrl;
        this.queueUrls.set(endpoint, queueUrl);
      }
      return { client, queueUrl };
    }
    const url = new URL(endpoint);
    const client = this.sqsClient(`${url.protocol}//${url.host}/`);
    if (sub.queueName) {
      const result = await client.send(new GetQueueUrlCommand({ QueueName: sub.queueName }));
      return { client, queueUrl: result.QueueUrl ?? endpoint };
    }
    return { client, queueUrl: endpoint };
  }

  async publishSqs(event, sub, messageAttributes, messageGroupId) {
    const { client, queueUrl } = await this.queueTarget(sub);
    await client.send(new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: event,
      MessageAttributes: toSqsMessageAttributes(messageAttributes),
      ...(messageGroupId && { MessageGroupId: messageGroupId }),
    }));
  }
}

const app = express();
app.disable("x-powered-by");
// Parse first so the extra actions below see the body (SNSServer's own parsers then skip the parsed request).
app.use(express.urlencoded({ extended: true, limit: "10mb" }));
app.use(express.json({ limit: "10mb" }));

let server; // assigned below; the handlers only run once it is set

const extraActions = {
  SetSubscriptionAttributes(body) {
    const sub = server.subscriptions.find((s) => s.SubscriptionArn === body.SubscriptionArn);
    if (!sub) throw notFound(`Subscription ${body.SubscriptionArn}`);
    if (!body.AttributeName) throw invalid("AttributeName");
    server.setAttribute(sub, body.AttributeName, body.AttributeValue ?? "");
    return okXml("SetSubscriptionAttributes");
  },
  GetSubscriptionAttributes(body) {
    const sub = server.subscriptions.find((s) => s.SubscriptionArn === body.SubscriptionArn);
    if (!sub) throw notFound(`Subscription ${body.SubscriptionArn}`);
    const attrs = {
      SubscriptionArn: sub.SubscriptionArn,
      TopicArn: sub.TopicArn,
      Protocol: sub.Protocol,
      Endpoint: sub.Endpoint,
      Owner: server.accountId,
      ConfirmationWasAuthenticated: "true",
      PendingConfirmation: "false",
      RawMessageDelivery: "false",
      ...sub.Attributes,
    };
    return okXml("GetSubscriptionAttributes", `<GetSubscriptionAttributesResult>${attributesXml(attrs)}</GetSubscriptionAttributesResult>`);
  },
  GetTopicAttributes(body) {
    const topic = server.topics.find((t) => t.TopicArn === body.TopicArn);
    if (!topic) throw notFound(`Topic ${body.TopicArn}`);
    const subs = server.subscriptions.filter((s) => s.TopicArn === topic.TopicArn);
    const attrs = {
      TopicArn: topic.TopicArn,
      Owner: server.accountId,
      DisplayName: "",
      SubscriptionsConfirmed: String(subs.length),
      SubscriptionsPending: "0",
      SubscriptionsDeleted: "0",
    };
    return okXml("GetTopicAttributes", `<GetTopicAttributesResult>${attributesXml(attrs)}</GetTopicAttributesResult>`);
  },
  DeleteTopic(body) {
    server.topics = server.topics.filter((t) => t.TopicArn !== body.TopicArn);
    server.subscriptions = server.subscriptions.filter((s) => s.TopicArn !== body.TopicArn);
    return okXml("DeleteTopic");
  },
  ListSubscriptionsByTopic(body) {
    if (!server.topics.find((t) => t.TopicArn === body.TopicArn)) throw notFound(`Topic ${body.TopicArn}`);
    const members = server.subscriptions.filter((s) => s.TopicArn === body.TopicArn).map((s) =>
      `<member><TopicArn>${esc(s.TopicArn)}</TopicArn><Protocol>${esc(s.Protocol)}</Protocol>` +
      `<SubscriptionArn>${esc(s.SubscriptionArn)}</SubscriptionArn><Owner>${esc(server.accountId)}</Owner>` +
      `<Endpoint>${esc(s.Endpoint)}</Endpoint></member>`).join("");
    return okXml("ListSubscriptionsByTopic", `<ListSubscriptionsByTopicResult><Subscriptions>${members}</Subscriptions></ListSubscriptionsByTopicResult>`);
  },
};

app.post("/", (req, res, next) => {
  const handler = req.body && extraActions[req.body.Action];
  if (!handler) return next();
  sendXml(res, 200, handler(req.body));
});

server = new DevstackSNSServer(debug, app, opts.region, opts.accountId);

// Errors (thrown by the handlers above or by SNSServer's routes) as SNS query-protocol XML, not an HTML page.
// eslint-disable-next-line no-unused-vars
app.use((err, req, res, next) => {
  const status = err instanceof SnsError ? err.status : 400;
  const code = err instanceof SnsError ? err.code : "InvalidParameter";
  log(`${req.body?.Action ?? "request"} failed: ${err?.message ?? err}`);
  sendXml(res, status,
    `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>${esc(code)}</Code>` +
    `<Message>${esc(err?.message ?? err)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`);
});

const listener = app.listen(opts.port, opts.host, () => log(`listening on http://${opts.host}:${opts.port} (region ${opts.region}, account ${opts.accountId})`));
listener.on("error", (err) => {
  log(`cannot listen on ${opts.host}:${opts.port}: ${err.message}`);
  process.exit(1);
});
const stop = (signal) => {
  log(`${signal}: stopping`);
  listener.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));
