"""Tools through MCP: operators' servers, per-persona policy, approval in the chat, the tool loop, the audit."""
