// The Simplified Chinese catalog (mainland China: the seed's users). Typed as Catalog, so a
// missing sentence or a parameter of another type fails the typecheck; the catalog test also
// compares the key sets at run time. The errno texts are those of the Chinese original of the
// seed's error_map.
import { CAPTCHA_LENGTH, PASSWORD_MAX, PASSWORD_MIN, SMS_CODE_LENGTH } from '../lengths.ts';
import type { Catalog } from './catalog.ts';

export const zhCN: Catalog = {
  sentenceGap: '',

  codes: {
    '0': '成功',
    '4001': '数据库查询错误',
    '4002': '无数据',
    '4003': '数据已存在',
    '4004': '数据错误',
    '4005': '方法错误',
    '4006': '发送短信验证码异常',
    '4007': '发送短信验证码失败',
    '4101': '用户未登录',
    '4102': '用户登录失败',
    '4103': '参数错误',
    '4104': '用户不存在或未激活',
    '4105': '用户身份错误',
    '4106': '密码错误',
    '4201': '请求过于频繁，请稍后再试',
    '4202': '已拒绝跨站请求',
    '4203': '发送邮件失败',
    '4500': '内部错误',
    '4501': '未知错误',
  },

  fields: {
    username: { title: '用户名', invalid: '用户名须为 5-20 位字母、数字或下划线。' },
    mobile: { title: '手机号', invalid: '请输入 11 位中国大陆手机号，例如 13800138000。' },
    password: { title: '密码', invalid: `密码长度须为 ${PASSWORD_MIN}-${PASSWORD_MAX} 个字符。` },
    passwordRepeat: { title: '确认密码', invalid: '两次输入的密码不一致。' },
    smsCode: { title: '短信验证码', invalid: `短信验证码为 ${SMS_CODE_LENGTH} 位数字。` },
    captcha: { title: '图形验证码', invalid: `请输入图片中的 ${CAPTCHA_LENGTH} 个字符。` },
    altcha: { title: '验证', invalid: '无法读取验证结果，请重新验证。' },
    account: { title: '用户名或手机号', invalid: '请输入用户名或手机号。' },
    loginPassword: { title: '密码', invalid: '请输入密码。' },
    rand: { title: 'rand', invalid: 'rand 只能是一个不超过 64 个字符的值。' },
    purpose: { title: '用途', invalid: 'purpose 只能是 register、reset 或 change_mobile。' },
    oldPassword: { title: '当前密码', invalid: '请输入当前密码。' },
    email: { title: '邮箱', invalid: '请输入有效的邮箱地址，最多 254 个字符。' },
    emailToken: { title: '验证链接', invalid: '该验证链接不完整，请重新打开最新邮件中的链接。' },
    sessionId: { title: '会话', invalid: '没有这个会话。' },
    passkeyName: { title: '通行密钥名称', invalid: '通行密钥名称须为 1-64 个字符。' },
    passkeyId: { title: '通行密钥', invalid: '没有这个通行密钥。' },
    credential: { title: '通行密钥', invalid: '无法读取通行密钥的响应，请重试。' },
  },

  check: {
    required: (title: string) => `请填写${title}。`,
    invalid: (title: string) => `${title}无效。`,
    notAnObject: '请求须为字段对象。',
    invalidRequest: '请求无效。',
  },

  password: {
    differ: '两次输入的密码不一致。',
    numeric: '密码不能全是数字。',
    similarToUsername: '密码与用户名过于相似。',
    similarToMobile: '密码与手机号过于相似。',
    common: '这个密码太常见了。',
    sameAsOld: '新密码不能与当前密码相同。',
  },

  strength: {
    labels: ['非常弱', '弱', '一般', '强', '非常强'],
    tooWeak: '这个密码太容易被猜到。',
    warnings: {
      straightRow: '键盘上相邻的一排按键很容易被猜到。',
      keyPattern: '简短的键盘图案很容易被猜到。',
      simpleRepeat: '像 "aaa" 这样的重复字符很容易被猜到。',
      extendedRepeat: '像 "abcabcabc" 这样的重复模式很容易被猜到。',
      sequences: '像 "abc" 或 "123" 这样的序列很容易被猜到。',
      recentYears: '最近的年份很容易被猜到。',
      dates: '日期很容易被猜到。',
      topTen: '这是最常用的密码之一。',
      topHundred: '这是一个非常常用的密码。',
      common: '这是一个常用密码。',
      similarToCommon: '这与一个常用密码相似。',
      wordByItself: '单个单词很容易被猜到。',
      namesByThemselves: '单独的名字或姓氏很容易被猜到。',
      commonNames: '常见的名字和姓氏很容易被猜到。',
      userInputs: '密码中包含你的用户名或手机号。',
      pwned: '这个密码曾出现在数据泄露中。',
    },
    suggestions: {
      l33t: '用形似的符号替换字母（如用 @ 代替 a）作用不大。',
      reverseWords: '把常用单词倒着拼写作用不大。',
      allUppercase: '只大写部分字母，而不是全部。',
      capitalization: '不要只大写首字母。',
      dates: '避免使用与你相关的日期和年份。',
      recentYears: '避免使用最近的年份。',
      associatedYears: '避免使用与你相关的年份。',
      sequences: '避免使用常见序列。',
      repeated: '避免重复的单词和字符。',
      longerKeyboardPattern: '使用更长且会改变方向的键盘图案。',
      anotherWord: '再加一两个单词，不常见的单词更好。',
      useWords: '使用几个单词，但不要用常见短语。',
      noNeed: '不必使用符号、数字和大写字母：几个单词就很好。',
      pwned: '如果你在其他地方也用了它，请在那里也修改。',
    },
  },

  captcha: {
    ipLimit: '你所在网络请求的图形验证码过多，请等待一分钟。',
    expired: '图形验证码已过期，请点击图片获取新的验证码。',
    wrong: '图形验证码错误，已为你换了一张新图片。',
    altchaFailed: '验证未通过或已过期，请重新验证。',
    oneOfTwo: '请只提交图形验证码或另一种验证，不要同时提交。',
    altchaOff: '该验证方式暂不可用，请输入图形验证码。',
    altchaIpLimit: '你所在网络请求的验证过多，请等待一分钟。',
  },

  sms: {
    text: (code: string, ttlMinutes: number) => `您的验证码是 ${code}，${ttlMinutes} 分钟内有效。请勿泄露给他人。`,
    sent: '短信验证码已发送。',
    registered: '该手机号已注册，请直接登录。',
    cooldown: (seconds: number) => `验证码刚刚已发送，请等待 ${seconds} 秒后再重新获取。`,
    ipLimit: '你所在网络获取验证码的次数过多，请稍后再试。',
    hourlyLimit: '过去一小时内发送到该号码的验证码过多，请稍后再试。',
    dailyLimit: '今天发送到该号码的验证码过多，请明天再试。',
    unconfirmed: (seconds: number) =>
      `短信服务未能及时确认发送，验证码可能仍会送达。如果没有收到，请在 ${seconds} 秒后重新获取。`,
    busy: '暂时无法发送更多验证码，请稍后再试。',
    expired: '短信验证码已过期或已使用，请重新获取。',
    wrong: (left: number) => `短信验证码错误，还可以尝试 ${left} 次。`,
    exhausted: '短信验证码错误次数过多，已作废，请重新获取。',
    resetText: (code: string, ttlMinutes: number) =>
      `您的重置密码验证码是 ${code}，${ttlMinutes} 分钟内有效。如果不是您本人操作，请忽略本短信。`,
    changeMobileText: (code: string, ttlMinutes: number) =>
      `您正在将此号码设为账号的手机号，验证码是 ${code}，${ttlMinutes} 分钟内有效。`,
    sentIfRegistered: '如果该号码已注册账号，验证码正在发送中。',
    loginFirst: '请先登录，再更换手机号。',
  },

  user: {
    registered: '注册成功。',
    registeredNotLoggedIn: '账号已创建，请登录。',
    usernameTaken: '该用户名已被占用。',
    usernameReserved: '该用户名为保留名称，请换一个。',
    usernameLooksLikeMobile: '用户名不能是手机号，请换一个。',
    mobileTaken: '该手机号已注册，请直接登录。',
  },

  reset: {
    done: '密码已修改，所有会话均已退出。请使用新密码登录。',
    donePending: '密码已修改，请使用新密码登录。退出其他会话比平时慢，稍后即会完成。',
    codeInvalid: '验证码错误或已过期，请重新获取。',
  },

  account: {
    passwordChanged: '密码已修改，你的其他会话均已退出。',
    oldPasswordWrong: '当前密码错误。',
    mobileChanged: '手机号已更换。',
    sessionEnded: '该会话已退出。',
    othersEnded: (count: number) => `已退出其他 ${count} 个会话。`,
    passwordChangedLoggedOut: '密码已修改，请用新密码重新登录。',
    allEndedLoggedOut: '已在所有设备上退出，包括本浏览器，请重新登录。',
    noSuchSession: '没有这个会话，它可能已经结束。',
    emailSent: (email: string, hours: number) => `验证链接已发送到 ${email}，${hours} 小时内有效。`,
    emailTaken: '该邮箱已被其他账号验证。',
    emailVerified: '你的邮箱已验证。',
    tokenInvalid: '该验证链接无效、已使用或已过期，请在账号页面重新获取。',
    emailLimit: '验证邮件发送次数过多，请稍后再试。',
    mailFailed: '邮件暂时无法发送，请稍后再试。',
  },

  passkeys: {
    added: '通行密钥已添加，现在可以用它登录。',
    renamed: '通行密钥已重命名。',
    deleted: '通行密钥已删除。',
    failed: '无法验证该通行密钥。如果它已从你的账号中删除，请用密码登录或使用其他通行密钥。',
    expired: '本次通行密钥请求已过期，请重新开始。',
    limit: (max: number) => `你已有 ${max} 个通行密钥，已达上限。请先删除一个再添加。`,
    notFound: '没有这个通行密钥。',
    duplicate: '该通行密钥已注册。',
    counter: '为了你的安全，该通行密钥已被拒绝。请用密码登录并检查你的通行密钥。',
    loggedIn: '已使用通行密钥登录。',
  },

  mail: {
    verifySubject: '验证你的邮箱地址',
    verifyText: (username: string, link: string, hours: number) =>
      `${username}，你好：\n\n请打开以下链接验证你的邮箱地址：\n\n${link}\n\n链接 ${hours} 小时内有效。如果你没有将此邮箱添加到任何账号，请忽略本邮件。`,
    noticeSubject: '账号安全提醒',
    noticeText: (username: string, what: string) =>
      `${username}，你好：\n\n${what}\n\n如果是你本人操作，无需处理。如果不是，请立即重置密码，并在账号页面检查登录会话。`,
    passwordReset: '你的账号密码已通过发送到手机的验证码重置。',
    passwordChanged: '你的账号密码已修改。',
    mobileChanged: (masked: string) => `你的账号手机号已更换为 ${masked}。`,
    emailChanged: (address: string) => `你的账号邮箱正在更换为 ${address}。`,
    passkeyAdded: '你的账号添加了一个通行密钥。',
    smsNotice: (what: string) => `安全提醒：${what}如非本人操作，请重置密码。`,
  },

  auth: {
    loggedIn: '登录成功。',
    loggedOut: '已退出登录。',
    failed: '用户名、手机号或密码错误。',
    throttled: '登录尝试次数过多，请稍等片刻再试。',
  },

  rateLimit: {
    global: '你所在网络的请求过多，请放慢速度，稍后再试。',
    availability: '你所在网络的可用性检查过多，稍后会自动恢复；你可以继续填写表单。',
  },

  request: {
    tooLarge: '请求体过大。',
    unsupportedType: '不支持的内容类型：请发送 JSON 或 urlencoded 表单。',
    malformedJson: 'JSON 请求体格式错误。',
    emptyJson: 'JSON 请求体为空。',
    badLength: 'Content-Length 与请求体不符。',
    badUrl: 'URL 格式错误。',
    badRequest: '错误的请求。',
    malformedHttp: 'HTTP 请求格式错误。',
    tooSlow: '请求到达时间过长。',
    noConnect: '不支持 CONNECT。',
    badExpect: '不支持的 Expect 请求头。',
    missingHost: '缺少 Host 请求头。',
    noEndpoint: '没有这个接口。',
    methodNotAllowed: (allowed: string[]) => `方法错误：请使用 ${allowed.join(' 或 ')}。`,
    noOutboxMessage: '无数据：没有发给该手机号的短信。',
    noMailMessage: '无数据：没有发给该邮箱的邮件。',
  },

  service: {
    slow: '服务当前响应缓慢，请重试。',
    shuttingDown: '服务正在重启，请重试。',
    databaseDown: '数据库暂时不可用，请重试。',
    storeDown: '服务暂时不可用，请重试。',
    busy: '服务当前非常繁忙，请稍后重试。',
  },
};
