# واجهة Margin على الويب باللغة العربية. المرجع هو en.ftl: المعرّفات نفسها والقيم نفسها
# بين الأقواس؛ انظر docs/guide.md. للعربية ست صيغ للعدد: zero وone وtwo وfew وmany وother.

app = Margin
skip = انتقل إلى النص
spaces = مساحات المراجعة
no_spaces = لا تحتوي هذه العقدة على أي مساحة مراجعة بعد. أنشئ واحدة باستخدام `margin space create`، أو انضم إلى واحدة بدعوة، أو حمّل المثال باستخدام `margin demo`.
drafts = المسودات
no_drafts = لا توجد مسودة في هذه المساحة بعد.
balance = التوازن
balance_group = فئة أصحاب المصلحة
balance_region = المنطقة
balance_people = الأشخاص
balance_participants = شاركوا
balance_comments = التعليقات
balance_stances = المواقف
balance_shares = الحصة من الأشخاص / التعليقات / المواقف
balance_among_registered = الأشخاص هم المشاركون المسجّلون في المساحة.
balance_among_so_far = الأشخاص هم كل من شارك حتى الآن، بما في ذلك من نشر ملفًا شخصيًا.
balance_no_voice = لا صوت من: { $names }.
balance_no_voice_regions = لا صوت من المناطق: { $names }.
balance_faint = حضور ضعيف، أقل من نصف حصتهم من الأشخاص: { $names }.
search = بحث
search_label = البحث في المسودات والتعليقات
search_in_space = في هذه المساحة فقط
no_matches = لا نتائج.
hits =
    { $n ->
        [zero] لا نتائج
        [one] نتيجة واحدة
        [two] نتيجتان
        [few] { $n } نتائج
        [many] { $n } نتيجة
       *[other] { $n } نتيجة
    }
match_paragraph = فقرة
match_comment = تعليق
status_peers =
    { $n ->
        [zero] لا نظراء
        [one] نظير واحد
        [two] نظيران
        [few] { $n } نظراء
        [many] { $n } نظيرًا
       *[other] { $n } نظير
    }
status_no_peers = لا نظراء
status_in_sync = متزامن
status_syncing = جارٍ التزامن
status_offline = غير متصل
status_live = مباشر
you_are = أنت { $name }
you_edit = محرر
read_only_public = عرض للقراءة فقط تنشره هذه العقدة.
read_only_login = أنت تقرأ. للتعليق أو اتخاذ موقف، افتح رابط الدخول الذي طبعه `margin node`، أو الصق الرمز من الملف api.token في مجلد العقدة:
login_title = الدخول إلى هذه العقدة
login_token = الرمز
login_button = دخول
login_done = تم الدخول.
logout = خروج
no_identity = لا يوجد مشارك في هذه العقدة بعد: للتعليق، أنشئ هويتك (اسمك وفئتك من أصحاب المصلحة يوقّعان كل ما تكتبه).
identity_title = أنشئ هويتك
identity_name = الاسم
identity_affiliation = الجهة (اختياري)
identity_stakeholder = فئة أصحاب المصلحة
identity_region = المنطقة (اختياري)
identity_create = أنشئ هويتي
identity_cli = أو في الطرفية: margin init --name "اسمك" --stakeholder civil-society
policy = من يمكنه التعليق
policy_open = الجميع
policy_registered = المشاركون المسجّلون
period = فترة التعليق
period_open = مفتوحة
period_from = من { $date }
period_until = حتى { $date }
conveners = المنظِّمون
editors = المحررون
entries =
    { $n ->
        [zero] لا مدخلات موقّعة
        [one] مدخل موقّع واحد
        [two] مدخلان موقّعان
        [few] { $n } مدخلات موقّعة
        [many] { $n } مدخلًا موقّعًا
       *[other] { $n } مدخل موقّع
    }
draft_counts =
    { $paras ->
        [zero] لا فقرات
        [one] فقرة واحدة
        [two] فقرتان
        [few] { $paras } فقرات
        [many] { $paras } فقرة
       *[other] { $paras } فقرة
    } · { $comments ->
        [zero] لا تعليقات
        [one] تعليق واحد
        [two] تعليقان
        [few] { $comments } تعليقات
        [many] { $comments } تعليقًا
       *[other] { $comments } تعليق
    } · { $revisions ->
        [zero] لا مراجعات
        [one] مراجعة واحدة
        [two] مراجعتان
        [few] { $revisions } مراجعات
        [many] { $revisions } مراجعة
       *[other] { $revisions } مراجعة
    }
import_draft = استيراد مسودة
import_file = ملف (Markdown أو Word بصيغة .docx أو OpenDocument بصيغة .odt)
import_markdown = أو نص Markdown
import_title = العنوان (اختياري: وإلا فأول عنوان في النص)
import_message = رسالة
import_button = استيراد
version = الإصدار
current = الحالي
read = اقرأ
reading_old = أنت تقرأ الإصدار { $v }، لا النص الحالي.
compare = مقارنة الإصدارات
compare_from = من
compare_to = إلى
compare_button = اعرض التغييرات
editor_tools = أدوات التحرير
tag_name = سمِّ الإصدار الحالي
tag_button = تسمية
update_title = استيراد إصدار جديد من ملف المسودة
update_button = سجّل المراجعة
update_message = ما الذي تغيّر
filters = تصفية التعليقات
filter_kind = النوع
filter_group = فئة أصحاب المصلحة
filter_region = المنطقة
filter_any = الكل
filter_open = الاعتراضات القائمة فقط
filter_undisposed = غير المعالَجة فقط
filter_apply = تطبيق
filter_clear = إزالة التصفية
filtered =
    { $n ->
        [zero] تمت التصفية: لا نقاشات معروضة.
        [one] تمت التصفية: نقاش واحد معروض.
        [two] تمت التصفية: نقاشان معروضان.
        [few] تمت التصفية: { $n } نقاشات معروضة.
        [many] تمت التصفية: { $n } نقاشًا معروضًا.
       *[other] تمت التصفية: { $n } نقاش معروض.
    }
paragraph = الفقرة { $n }
bracketed = تحتوي على نص بين معقوفين (محل خلاف)
comments_n =
    { $n ->
        [zero] لا تعليقات
        [one] تعليق واحد
        [two] تعليقان
        [few] { $n } تعليقات
        [many] { $n } تعليقًا
       *[other] { $n } تعليق
    }
no_comments = لا تعليقات
open_objections_n =
    { $n ->
        [zero] لا اعتراضات قائمة
        [one] اعتراض قائم واحد
        [two] اعتراضان قائمان
        [few] { $n } اعتراضات قائمة
        [many] { $n } اعتراضًا قائمًا
       *[other] { $n } اعتراض قائم
    }
respond = الرد على الفقرة ¶{ $n }
respond_title = علّق أو اتخذ موقفًا
whole_draft = على المسودة كلها
orphans = تعليقات يتيمة
orphans_help = لم يعد مقطعها في المسودة. يمكن لمحرر أن يعيد ربطها.
elsewhere = ليست في هذا الإصدار
elsewhere_help = تعليقات على مقاطع لا يتضمنها هذا الإصدار.
compact_note = في هذه المسودة تعليقات كثيرة: تعرض كل فقرة أعدادها، وتُفتح تعليقاتها عند الطلب.
live_news = تم التحديث: نشاط جديد من الشبكة.
kind_comment = تعليق
kind_question = سؤال
kind_suggestion = اقتراح
kind_objection = اعتراض
on_quote = على
commented_on = علّق على { $v }:
now_reads = أصبح نصها:
paragraph_now_reads = تغيّرت الفقرة منذ
untagged_version = إصدار سابق
orphaned = يتيم: لم يعد المقطع في المسودة
suggests = يقترح:
edited = معدَّل
retracted = سحبه كاتبه
reattached = أعاد محرر ربطه
hidden = أخفاه أحد المنظِّمين: { $reason }
muted = مكتوم في هذه العقدة: اخترت ألا ترى كلمات هذا المشارك
hide_title = الإشراف (المنظِّمون)
hide_reason = السبب، يظهر للجميع مكان التعليق
hide_button = إخفاء للجميع
unhide_button = إظهار من جديد
mute_title = كتم هذا الكاتب في هذه العقدة
mute_button = كتم (هنا فقط)
unmute_button = إلغاء الكتم
disposition = المعالجة
disp_accepted = مقبول
disp_partly = مقبول جزئيًا
disp_declined = مرفوض
disp_noted = أُخذ به علمًا
open_objection = اعتراض قائم
reply_link = رُدّ أو تصرّف
thread_link = النقاش
replies_n =
    { $n ->
        [zero] لا ردود
        [one] رد واحد
        [two] ردّان
        [few] { $n } ردود
        [many] { $n } ردًّا
       *[other] { $n } رد
    }
thread_title = تعليق من { $name }
back_to_draft = العودة إلى المسودة
passage = المقطع (اختياري)
passage_help = الكلمات نفسها التي تعلّق عليها؛ اتركه فارغًا للفقرة كلها. تحديد نص في فقرة يملأ هذا الحقل.
selection_button = علّق على التحديد
para_select = الفقرة
kind = النوع
body = تعليقك
suggestion = الصياغة المقترحة (للاقتراحات)
post_comment = انشر التعليق
reply_title = رد
post_reply = انشر الرد
edit_title = عدّل تعليقك
save_edit = حفظ
retract_title = اسحب تعليقك
retract_button = سحب
retract_erase = امحُ نصه أيضًا في كل مكان (لا تحتفظ العقد إلا بأثر موقّع)
dispose_title = المعالجة (المحررون)
dispose_value = الرد
dispose_note = ملاحظة (يلزم سبب للرفض)
dispose_revision = المراجعة التي أجرت التغيير
dispose_no_revision = لا شيء
dispose_button = سجّل المعالجة
reattach_title = إعادة الربط (المحررون)
reattach_para = رقم الفقرة
reattach_button = أعد الربط
stance_title = موقفك من الفقرة ¶{ $n }
stance_reason = السبب (لازم للاعتراض)
stance_support = تأييد
stance_accept = يمكن القبول به
stance_object = اعتراض
stance_abstain = امتناع
your_stance = موقفك: { $stance }
stances_title = المواقف
cancel = إغلاق
diff_title = التغييرات من { $from } إلى { $to }
diff_added = أُضيف
diff_removed = حُذف
diff_changed = تغيّر
diff_unchanged_n =
    { $n ->
        [zero] لا فقرات دون تغيير.
        [one] فقرة واحدة دون تغيير.
        [two] فقرتان دون تغيير.
        [few] { $n } فقرات دون تغيير.
        [many] { $n } فقرة دون تغيير.
       *[other] { $n } فقرة دون تغيير.
    }
diff_none = لا فروق.
error_title = حدث خطأ ما
go_back = رجوع
language = اللغة
# الجديد، في /news.
news_link = الجديد
news_title = الجديد
news_no_identity = الجديد موجّه إلى مشارك العقدة: أنشئ هويتك أولًا.
news_since_mark = منذ أن وضعت علامة «مقروء» على الجديد آخر مرة.
news_since_never = كل ما سبق: لم توضع علامة «مقروء» على الجديد في هذه العقدة بعد.
news_since_date = المدخلات المنشأة منذ { $date }.
news_since_label = منذ (تاريخ)
news_since_button = اعرض
news_replies = ردود على تعليقاتك
news_dispositions = معالجة تعليقاتك
news_revisions = مراجعات جديدة
news_where_you_took_part = حيث علّقت أو اتخذت موقفًا
news_closing = فترات تعليق تنتهي قريبًا
news_nothing = لا جديد منذ آخر زيارة.
news_mark_read = ضع علامة «مقروء» على الكل
news_more = … و{ $n } غيرها.
news_replied = ردّ { $name } على تعليقك:
news_disposed = عالج { $name } تعليقك: { $value }
news_revised =
    { $n ->
        [zero] لا مراجعات جديدة:
        [one] مراجعة جديدة واحدة، من { $name }:
        [two] مراجعتان جديدتان، آخرهما من { $name }:
        [few] { $n } مراجعات جديدة، آخرها من { $name }:
        [many] { $n } مراجعة جديدة، آخرها من { $name }:
       *[other] { $n } مراجعة جديدة، آخرها من { $name }:
    }
news_since_read = منذ آخر قراءة لك، فقرات تغيّرت: { $changed }، أضيفت: { $added }، حُذفت: { $removed }.
news_show_changes = اعرض التغييرات
news_not_read = لم تقرأها في هذه العقدة بعد.
news_read_current = قرأت النص الحالي.
news_commented = { $name } ({ $kind }) على { $para }:
news_objects = يعترض { $name } على { $para }:
news_para_gone = فقرة لم تعد في المسودة
news_closes =
    { $days ->
        [0] تنتهي { $title } في { $date }، اليوم.
        [zero] تنتهي { $title } في { $date }، اليوم.
        [one] تنتهي { $title } في { $date }، بعد يوم واحد.
        [two] تنتهي { $title } في { $date }، بعد يومين.
        [few] تنتهي { $title } في { $date }، بعد { $days } أيام.
        [many] تنتهي { $title } في { $date }، بعد { $days } يومًا.
       *[other] تنتهي { $title } في { $date }، بعد { $days } يوم.
    }
# المشاركة من متصفح، على الموقع العام لمرآة (/participate).
take_part_title = شارك
take_part_trust = ما يستطيعه هذا الموقع وما لا يستطيعه
take_part_key = يُنشأ مفتاحك في هذا المتصفح ويبقى فيه: كل تعليق وكل موقف يوقَّع هنا قبل أن يغادر.
take_part_sees = يرى هذا الموقع ما تنشره، وهو علني على أي حال، وعنوانك الشبكي.
take_part_cannot = لا يستطيع أن يكتب باسمك ولا أن يغيّر ما كتبت: كل عقدة تتحقق من توقيعك وترفض أي مدخل معدَّل.
take_part_script = المشاركة تحتاج إلى JavaScript (متصفحك هو من يوقّع)؛ القراءة لا تحتاج إليه.
take_part_identity = هويتك
take_part_space = مساحة المراجعة
take_part_create = أنشئ هويتي في هذا المتصفح
take_part_your_key = مفتاحك (أعطه لمسجِّل إن طلبت المساحة التسجيل):
take_part_respond = علّق على فقرة أو اتخذ موقفًا
take_part_stance = وقّع موقفي وانشره
take_part_signing = جارٍ التوقيع في هذا المتصفح والإرسال…
take_part_posted = نُشر بتوقيعك.
take_part_refused = مرفوض:
take_part_created = أُنشئت هويتك وهي محفوظة في هذا المتصفح.
take_part_waiting = وُقّع، ويُحفظ في هذا المتصفح حتى يعود الاتصال؛ وسيُرسل حينها.
take_part_sent = أُرسل: ما كان ينتظر في هذا المتصفح وصل إلى الموقع.
take_part_offline = لا اتصال: إنشاء هوية يحتاج إلى اتصال.
take_part_moved = أعطى الموقع مرساةً على كلمات غير التي اخترتها، فلم يُوقَّع شيء.
take_part_working = جارٍ العمل: تمديد عبارة المرور يستغرق بضع ثوانٍ…
take_part_differ = عبارتا المرور مختلفتان.
take_part_saved = حُفظت النسخة الاحتياطية. احتفظ بالملف وبعبارة مروره في مكان غير هذا المتصفح.
take_part_restored = استُعيد مفتاحك في هذا المتصفح.
take_part_backup_title = نسخة احتياطية من مفتاحك
take_part_backup_help = مفتاحك موجود في هذا المتصفح فقط: مسح بياناته يُضيّعه. النسخة الاحتياطية ملف مشفّر بعبارة مرورك (age)، تستعيده هذه الصفحة في متصفح آخر ويقرؤه `margin key import` على عقدة.
take_part_backup = احفظ نسخة احتياطية من مفتاحي
take_part_link_title = اربط هذا المتصفح بهويتك
take_part_link_help = إن كنت تشارك من عقدة Margin، يمكن لهذا المتصفح أن يتحدث باسمك هناك أيضًا: أنشئ رمزًا هنا، ثم شغّل `margin device add CODE --name NAME` على العقدة التي تحفظ هويتك خلال يوم. حين يصل الربط إلى هذا الموقع، يُحسب ما توقّعه هنا باسمك، مرة واحدة.
take_part_link = أنشئ رمز ربط
take_part_link_made = الرمز أدناه: أعطه للأمر `margin device add` على عقدتك.
take_part_passphrase = عبارة المرور
take_part_passphrase_again = عبارة المرور نفسها مرة أخرى
take_part_restore_title = أو استعد مفتاحًا من نسخة احتياطية
take_part_restore_file = ملف النسخة الاحتياطية (من هذه الصفحة، أو من margin key export)
take_part_restore = استعد مفتاحي
take_part_hint = للتعليق هنا أو الرد أو اتخاذ موقف، أنشئ هويتك أولًا في هذا المتصفح:
take_part_hint_link = شارك

# Accessibility
# يُقال لمن يصل إلى مقطع مظلَّل بلوحة المفاتيح.
highlight_help = مقطع مظلَّل: يأخذك Enter أو المسافة إلى تعليقه، ويعيدك Escape من هناك إلى هنا.
# اختيار المقطع الذي يتناوله التعليق من بين كلمات الفقرة، بلوحة المفاتيح.
choose_words = اختر الكلمات من النص
choose_words_label = نص الفقرة: حدِّد الكلمات التي تعلّق عليها
choose_words_help = تنقّل بمفاتيح الأسهم (مع Ctrl كلمةً كلمة، ومع Option على Mac) واضغط Shift باستمرار للتحديد. يأخذ Enter الكلمات المحدَّدة، ويُغلق Escape.
choose_words_use = استخدم الكلمات المحدَّدة
