/** The shapes chat-api answers with (see services/chat-api/README.md). */

/** One conversation of the signed-in user. */
export interface Conversation {
  id: string;
  title: string | null;
  model_tag: string | null;
  favorited: boolean;
  /** Settings sent with every answer (null: inference's default); see chat/settings.ts. */
  system_prompt?: string | null;
  temperature?: number | null;
  max_tokens?: number | null;
  created_at: string;
  updated_at: string;
}

/** One stored message; `status` is set on answers (complete, streaming, incomplete, stopped, error). */
export interface Message {
  id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  token_count: number | null;
  model_tag: string | null;
  inference_time_ms: number | null;
  status: string;
  /** Why an answer ended short: a stable code (interrupted, answer_not_saved, over_capacity, …) and its message. */
  failure_code?: string | null;
  failure_message?: string | null;
  created_at: string;
}

/** A conversation with its messages, oldest first. */
export interface ConversationWithMessages extends Conversation {
  messages: Message[];
}

/** One page of the conversation list. */
export interface ConversationPage {
  conversations: Conversation[];
  next_cursor: string | null;
}
