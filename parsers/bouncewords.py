"""The wording of delivery notices in the network's languages: notice phrases for a failure
and for a delay, notice subjects, the names mail systems send under, delivery details, and a
person's greeting (which no mail system writes)."""

from __future__ import annotations

import re

_F = re.IGNORECASE | re.UNICODE
_FM = _F | re.MULTILINE

# Wording of a notice that delivery failed, in the network's languages.
_FAILED = (
    # en
    r"undeliver(?:able|ed)|non-?deliver(?:able|y)|could(?: not|n't) be delivered|"
    r"(?:could not|couldn't|cannot|can't|unable to|wasn't able to|was not able to) deliver|"
    r"(?:was|were)(?: not|n't) delivered|(?:did not|didn't) reach (?:some|all|the|one)|"
    r"deliver(?:y|ing) (?:to (?:the following|these) recipients?(?: or groups)? )?"
    r"(?:has |have )?failed|delivery failure|failure delivery|failed delivery|"
    r"failed permanently|permanent(?:ly)? (?:error|fatal|failure|failed)|permanent fatal|"
    r"returned mail|returning message to sender|returned to sender|failure notice|"
    r"mail delivery failed|message delivery failed|message not delivered|"
    r"following recipients?(?:\(s\))? (?:cannot|could not) be reached|i've given up|"
    r"has stopped trying|"
    r"rejected your message|address not found|"
    # de
    r"unzustellbar|nicht zustellbar|konnte(?:n)? nicht (?:.{1,80}? )?zugestellt werden|"
    r"zustellung (?:.{1,60}? )?fehlgeschlagen|nicht zugestellt|unzustellbare|"
    # fr
    r"non remis|non distribuable|non délivré|n'a pas pu être (?:remis|distribué|livré|délivré)|"
    r"n'ont pas pu être (?:remis|distribués)|échec de (?:la )?(?:remise|distribution)|"
    r"la remise .{1,60}? a échoué|"
    # es
    r"no se (?:ha )?pued(?:e|o|ieron) entregar|no se (?:ha )?podido entregar|no entregado|"
    r"error (?:de|en la|al) entrega|la entrega .{1,60}? (?:ha fallado|falló|no se pudo)|"
    # it
    r"non recapitabile|non recapitat[oa]|mancato recapito|impossibile recapitare|"
    r"non è stato possibile (?:recapitare|consegnare)|recapito non riuscito|"
    r"consegna non riuscita|"
    # pt
    r"não entregue|não (?:foi|é) possível entregar|não (?:pôde|pode) ser entregue|"
    r"falha na entrega|a entrega .{1,60}? falhou|"
    # nl
    r"onbestelbaar|niet (?:worden )?bezorgd|kon niet worden (?:bezorgd|afgeleverd)|"
    r"bezorging (?:.{1,60}? )?mislukt|"
    # pl
    r"niedostarczon|niedostarczaln|nie (?:można|udało się) dostarczyć|"
    r"nie (?:mogła|mógł|może|mogło) zostać dostarczon|dostarczenie .{1,60}? nie powiodło się|"
    # ja
    r"配信不能|配信エラー|配送エラー|配信失敗|配信に失敗|配送に失敗|送信に失敗|未配達|不達|"
    r"配信できませんでした|送信できませんでした|届けることができませんでした|"
    r"配信できません|宛先不明|"
    # zh
    r"退信|邮件投递失败|投递失败|无法投递|无法送达|未送达|未能送达|发送失败|无法发送|"
    r"邮件被退回|無法傳遞|傳遞失敗|無法投遞|"
    # ro, tr, sk, cs, fi, el, hu
    r"nu a putut fi livrat|iletilemedi|teslim edilemedi|nedoručiteľn|nedoručiteln|"
    r"toimitus epäonnistui|δεν παραδόθηκε|kézbesíthetetlen"
)
# Wording of a notice that delivery is delayed and still being tried.
_DELAYED = (
    # en
    r"\bdelay(?:ed)?\b|still being retried|will (?:be )?retr(?:y|ied)|"
    r"will (?:keep|continue(?: to)?) (?:trying|try|attempting|attempt)|"
    r"delivery attempts will continue|will continue to be attempted|"
    r"warning (?:message )?only|do not need to resend|"
    r"(?:has|have|hasn't|haven't)(?: not)? (?:yet )?been delivered yet|not yet been delivered|"
    r"(?:could not|cannot|can't|unable to) send (?:this |your )?message for (?:the )?(?:past|last)|"
    r"^\s*warning:|warning: (?:could not|cannot) send|warning: message .{1,60} delayed|"
    r"temporary (?:problem|failure) (?:delivering|in delivery)|"
    # de
    r"verzögert|verzögerung|noch nicht zugestellt|wird (?:weiterhin|erneut) versucht|"
    r"weitere zustellversuche|"
    # fr
    r"retardée?s?|différée?s?|pas encore été (?:remis|distribué)|nouvelles tentatives|"
    # es
    r"retrasad[ao]s?|retraso|demorad[ao]|(?:todavía|aún) no se ha entregado|"
    r"seguirá intentando|"
    # it
    r"ritardat[oa]|ritardo|non è ancora stato (?:recapitato|consegnato)|"
    # pt
    r"atrasad[ao]|atraso|ainda não foi entregue|"
    # nl
    r"vertraagd|vertraging|nog niet bezorgd|"
    # pl
    r"opóźni|jeszcze nie (?:została|został) dostarczon|"
    # ja
    r"遅延|配信が遅れ|再送を試み|まだ配信されていません|"
    # zh
    r"延迟|延遲|尚未投递|正在重试|将继续尝试|將繼續嘗試"
)
# Wording that says a report is about delivery without saying how it went.
_NEUTRAL = (
    r"delivery status notification|delivery (?:status )?report|delivery notification|"
    r"mail delivery (?:system|subsystem|software)|this is the mail system at host|"
    r"qmail-send program|created automatically by mail delivery|"
    r"transcript of session follows|diagnostic information for administrators|"
    r"the original message was received|automatically generated delivery|"
    r"non-delivery report|rapport de non-remise|unzustellbarkeitsbericht|"
    r"informe de no entrega|rapporto di mancato recapito|relatório de não entrega|"
    r"onbestelbaarheidsrapport|raport o niedostarczeniu|配信状態通知|配信通知|退信通知|投递状态通知"
)
FAILED = re.compile(_FAILED, _F)
DELAYED = re.compile(_DELAYED, _FM)
NOTICE = re.compile(f"{_FAILED}|{_DELAYED}|{_NEUTRAL}", _FM)
# Without the delay words, which an out-of-office may use ("mail to me is delayed").
MACHINE = re.compile(f"{_FAILED}|{_NEUTRAL}", _FM)

# Subjects of notices. Automatic senders' subjects are searched; an ordinary sender's must
# open with the wording (after a tag such as "[EXTERNAL]"), so "Re: Undeliverable" is not one.
_SUBJECT = (
    r"undeliver|non-?deliver|delivery (?:status notification|failure|failed|has failed|"
    r"notification|report|problem|incomplete|delayed|delay)|returned mail|"
    r"mail returned|returning message|failure notice|failure delivery|failed delivery|"
    r"(?:mail|message|e-?mail) (?:delivery )?(?:failed|failure|not delivered|delayed)|"
    r"mail delivery (?:system|subsystem)|mail system error|delayed mail|"
    r"warning: (?:could not|cannot) send|warning: message .{1,60} delayed|"
    r"could not send message|"
    r"unzustellbar|nicht zustellbar|zustellung (?:fehlgeschlagen|verzögert)|"
    r"fehler bei der zustellung|übermittlungsfehler|verzögert\s*:|"
    r"non remis|non distribuable|non délivré|échec de (?:la )?(?:remise|distribution)|"
    r"remise (?:différée|retardée)|"
    r"no se puede entregar|no se pudo entregar|no entregado|mensaje no entregado|"
    r"error de entrega|entrega (?:retrasada|demorada)|retraso en la entrega|retrasado\s*:|"
    r"non recapitabile|non recapitato|mancato recapito|recapito (?:non riuscito|ritardato)|"
    r"ritardo (?:nel |di )?recapito|"
    r"não entregue|não é possível entregar|falha na entrega|entrega (?:atrasada|falhou)|"
    r"atraso na entrega|"
    r"onbestelbaar|niet bezorgd|bezorging (?:mislukt|vertraagd)|vertraagd\s*:|"
    r"niedostarczon|niedostarczaln|nie można dostarczyć|nie dostarczono|"
    r"dostarczanie opóźnione|opóźnion[ea]\s*:|"
    r"配信不能|配信エラー|配送エラー|配信失敗|未配達|不達|配信の遅延|配信遅延|"
    r"退信|邮件投递失败|投递失败|无法投递|无法送达|未送达|未能送达|发送失败|延迟投递|投递延迟|"
    r"無法傳遞|傳遞失敗|"
    r"nu a putut fi livrat|iletilemedi|teslim edilemedi|nedoručiteľn|nedoručiteln|"
    r"toimitus epäonnistui|δεν παραδόθηκε|kézbesíthetetlen"
)
SUBJECT_ANYWHERE = re.compile(_SUBJECT, _F)
SUBJECT_OPENS = re.compile(
    rf"^\s*(?:(?:\[[^\]]{{0,40}}\]|\*{{2,}}[^*]{{0,30}}\*{{2,}})\s*)*(?:{_SUBJECT})", _F
)

# Senders of notices. A postmaster may be a person; a mailer daemon never is.
DAEMON_LOCAL = re.compile(
    r"^(?:mailer[-_.]?daemon|mail[-_.]?daemon|mdaemon|mail[-_.]?delivery[-_.]?(?:system|"
    r"subsystem)|microsoftexchange[0-9a-f]{32})$",
    _F,
)
POSTMASTER_LOCAL = re.compile(r"^(?:postmaster|post[-_.]?master|bounces?|mailadmin)$", _F)
DAEMON_NAME = re.compile(
    r"^\s*(?:mail delivery (?:system|subsystem|service)|mail(?:er)?[- ]?daemon|"
    r"mail (?:system|administrator)|microsoft outlook|microsoft exchange|"
    r"e-?mail-?zustellsystem|mail-?zustellsystem|"
    r"système de (?:remise|distribution)(?: du courrier)?|"
    r"sistema de entrega(?: de correo)?|sistema di consegna(?: posta)?|"
    r"sistema de entrega de e-?mail|e-?mailbezorgsysteem|system dostarczania poczty|"
    r"メール配信システム|系统退信|邮件系统|郵件系統)\s*$",
    _F,
)

# Delivery details: SMTP replies and the reasons mail systems give for a refusal.
DETAILS = re.compile(
    r"(?<!\d)[45]\d\d[ -]#?[245]\.\d{1,3}\.\d{1,3}\b|#[45]\.\d{1,3}\.\d{1,3}\b|"
    r"\b(?:said|replied|answered|response|error|smtp;?)\s*:?\s*[45]\d\d\b|"
    r"\bsmtp error from remote|\bdoes not like recipient|\bremote host said\b|"
    r"\b(?:user|recipient|mailbox)(?: is)? (?:unknown|not found|unavailable|disabled|full)\b|"
    r"\bno such (?:user|recipient|mailbox)\b|\brecipient address rejected\b|"
    r"\bno mailbox here by that name\b|\brecipnotfound\b|"
    r"ユーザ(?:ー)?(?:が|は)(?:存在しません|見つかりません|不明)|"
    r"用户不存在|收件人(?:地址)?不存在|邮箱不存在|地址不存在|退信原因|用戶不存在",
    _F,
)
REPLY_OR_FORWARD = re.compile(
    r"^\s*(?:\[[^\]]{0,40}\]\s*)?(?:re|aw|sv|vs|odp|antw|rif|r|fwd?|tr|wg|rv|enc|i|pd|doorst)"
    r"\s*(?:\[\d+\])?\s*:",
    _F,
)
# Delivery details a person does not write: a DSN field block or an SMTP reply with its
# enhanced status code ("550 5.1.1", "#550 5.1.1", "(#5.1.1)").
SMTP_CODE = re.compile(
    r"(?<!\d)[245]\d\d[ -]#?[245]\.\d{1,3}\.\d{1,3}\b|#[245]\.\d{1,3}\.\d{1,3}\b", _F
)
# A person's greeting on the first line ("Dear colleagues,"), not "Hi. This is the qmail-send".
SALUTATION = re.compile(
    r"^\s*(?:dear|hello|hi|good (?:morning|afternoon|evening)|greetings|bonjour|madame|monsieur|"
    r"cher|chère|chers|hallo|liebe[rs]?|sehr geehrte[rs]?|guten (?:tag|morgen)|estimad[oa]s?|"
    r"hola|buenos días|buenas tardes|gentil[ei]|egregi[oa]?|car[oa]|cari|buongiorno|"
    r"prezad[oa]s?|olá|bom dia|boa tarde|geachte|beste|szanown[iay]|dzień dobry|witam)\b"
    r"(?!\.)[^\n.]{0,60}[,:!]?[ \t]*$",
    _FM,
)
