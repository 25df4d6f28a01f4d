/**
 * What a host reads when a request fails, in Chinese: one line per error code of the registry that
 * a console or screen can meet, keyed by the code without its prefix, lower-cased (`draw_state` for
 * the registry's draw-state code). The server's own message (English, with the specifics) stays
 * available as the problem's `detail`.
 */
export const ZH_PROBLEMS: Record<string, string> = {
  bad_request: "请求内容不正确，请检查填写的内容。",
  unauthorized: "登录已失效，请重新登录。",
  forbidden: "没有权限执行此操作。",
  sign_in_failed: "主持人账号或密码错误。",
  csrf: "页面会话已过期，请刷新控制台。",
  not_found: "找不到该内容。",
  draw_not_found: "本活动中没有这一轮抽奖。",
  draw_exists: "本活动中已有同编号的一轮。",
  draw_state: "这一轮当前的状态不允许此操作（可能另一位主持人刚刚操作过），请看最新状态。",
  tier_revealed: "这个奖项已经揭晓。",
  not_a_winner: "此人已不是该奖项的中奖者，无法重抽。",
  draw_closed: "这一轮已截止报名。",
  campaign_not_found: "没有这个活动。",
  campaign_exists: "已有同编号的活动。",
  campaign_locked: "活动已开始，只能做安全的修改（如补充库存）。",
  tier_not_found: "本活动中没有这个奖项。",
  policy_violation: "配置不符合合规要求（中奖率、奖品价值或领奖说明）。",
  claim_window_open: "中奖者仍在领奖时限内，时限过后才能重抽。",
  prize_claimed: "中奖者已领奖，不能重抽。",
  payload_too_large: "提交的内容太大。",
  rate_limited: "操作太频繁，请稍后再试。",
  too_many_subscriptions: "此连接订阅的活动太多，请刷新页面。",
  busy: "服务器繁忙，请稍后重试。",
  unavailable: "服务器暂时连不上数据存储，请稍后重试。",
  shutting_down: "此服务器节点正在停机，正在切换到其他节点。",
  protocol_version: "页面版本与服务器不一致，请刷新页面。",
  internal: "服务器出错了，已记录日志。",
  timeout: "服务器没有及时回应，操作可能已生效，请查看最新状态后再试。",
  disconnected: "连接中断，操作未确认，请查看最新状态后再试。",
  closed: "连接已关闭，请刷新页面。",
  no_transport: "此浏览器不支持 WebSocket。",
};
