/** The bus: the only code that touches Kafka. Port + adapters (Kafka, in-process), topics, envelope, codecs. */

export type { CheckpointStore, CreateFileCheckpointStoreArgs } from "./checkpoint.ts";
export {
  createFileCheckpointStore,
  createMemoryCheckpointStore,
  decodeCheckpoint,
  encodeCheckpoint,
} from "./checkpoint.ts";
export type { DuplicateFilter } from "./dedup.ts";
export { createDuplicateFilter } from "./dedup.ts";
export type { HandlerRetry } from "./deliver.ts";
export type { CreateEnvelopeArgs, MessageLocation } from "./envelope.ts";
export { createCheckpointEnvelope, createEnvelope, decodeEnvelope, encodeEnvelope } from "./envelope.ts";
export type { CreateInProcessBusArgs, InProcessBus } from "./inprocess.ts";
export { createInProcessBus } from "./inprocess.ts";
export type { CreateKafkaBusArgs, KafkaBus, KafkaConnection, PublishRetry } from "./kafka.ts";
export { classifyKafkaError, createKafkaBus } from "./kafka.ts";
export type {
  Bus,
  MessageHandler,
  MessageMeta,
  OutgoingMessage,
  PublishOptions,
  SubscribeArgs,
  Subscription,
} from "./port.ts";
export { checkpointIdOf, messageIdOf, messageTypeOf, partitionKeyOf, topicOf } from "./routing.ts";
export type { ArgValue } from "./schemas.ts";
export { isMessageType, MESSAGE_TYPES, PAYLOAD_SCHEMAS } from "./schemas.ts";
export type { TopicId, TopicNames } from "./topics.ts";
export { createTopicNames, TOPIC_IDS, TOPICS } from "./topics.ts";
export type * from "./types.ts";
export { ENVELOPE_VERSION } from "./types.ts";
