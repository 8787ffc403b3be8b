"""Demo data: a believable Chinese equipment maker, its branches, customers and installed base.

Used by ``manage.py seed_demo`` and ``manage.py print_demo_logins``. Everything is written through
the apps' services (numbering, timeline and history stay consistent) inside one transaction, and
is deterministic for a given seed and day: dates are spread over the four years before today.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import roles as R
from .models import Branch, Department, EngineerProfile, Skill, User

DEMO_PASSWORD = "demo1234"  # noqa: S105 - the documented password of the demo logins
ADMIN_USERNAME = "admin"
DEFAULT_UNITS = 200

# code, name, region, city, headquarters
BRANCHES = [
    ("HQ", "总部", "华东", "苏州", True),
    ("EAST", "华东分公司", "华东（江浙沪皖）", "上海", False),
    ("SOUTH", "华南分公司", "华南（粤闽）", "深圳", False),
    ("NORTH", "华北分公司", "华北、东北、山东", "北京", False),
]
DEPARTMENTS = [
    ("SVC", "服务部"), ("TSC", "技术支持中心"), ("PTD", "工艺技术部"), ("QA", "品质部"), ("PRD", "生产部"),
    ("WH", "仓管部"), ("BIZ", "业务部"), ("ENG", "技术部"), ("GMO", "总经办"),
]
SKILLS = [
    ("REFLOW", "回流焊"), ("PLACEMENT", "贴片机"), ("WAVE", "波峰焊"), ("PRINTER", "锡膏印刷"),
    ("AOI", "AOI 检测"), ("ELECTRICAL", "电气控制"), ("SOFTWARE", "软件"), ("MECHANICAL", "机械维修"),
    ("PROCESS", "工艺调试"),
]

# city: (province prefix, districts, telephone area code, latitude, longitude)
CITIES: dict[str, tuple[str, list[str], str, float, float]] = {
    "上海": ("上海市", ["浦东新区", "闵行区", "松江区", "嘉定区", "青浦区"], "021", 31.2304, 121.4737),
    "苏州": ("江苏省苏州市", ["工业园区", "高新区", "吴中区", "相城区", "吴江区"], "0512", 31.2989, 120.5853),
    "昆山": ("江苏省昆山市", ["开发区", "周市镇", "张浦镇"], "0512", 31.3846, 120.9807),
    "无锡": ("江苏省无锡市", ["新吴区", "滨湖区", "锡山区"], "0510", 31.4912, 120.3119),
    "杭州": ("浙江省杭州市", ["滨江区", "余杭区", "萧山区"], "0571", 30.2741, 120.1551),
    "宁波": ("浙江省宁波市", ["北仑区", "鄞州区", "镇海区"], "0574", 29.8683, 121.5440),
    "南京": ("江苏省南京市", ["江宁区", "栖霞区", "浦口区"], "025", 32.0603, 118.7969),
    "合肥": ("安徽省合肥市", ["高新区", "经开区", "包河区"], "0551", 31.8206, 117.2272),
    "常州": ("江苏省常州市", ["武进区", "新北区"], "0519", 31.8107, 119.9741),
    "嘉兴": ("浙江省嘉兴市", ["南湖区", "秀洲区", "嘉善县"], "0573", 30.7469, 120.7555),
    "深圳": ("广东省深圳市", ["宝安区", "龙岗区", "南山区", "光明区", "龙华区"], "0755", 22.5431, 114.0579),
    "东莞": ("广东省东莞市", ["长安镇", "松山湖", "塘厦镇", "虎门镇"], "0769", 23.0207, 113.7518),
    "广州": ("广东省广州市", ["黄埔区", "番禺区", "花都区"], "020", 23.1291, 113.2644),
    "佛山": ("广东省佛山市", ["顺德区", "南海区"], "0757", 23.0215, 113.1214),
    "惠州": ("广东省惠州市", ["仲恺高新区", "惠阳区"], "0752", 23.1115, 114.4152),
    "珠海": ("广东省珠海市", ["香洲区", "金湾区"], "0756", 22.2707, 113.5767),
    "中山": ("广东省中山市", ["火炬开发区", "小榄镇"], "0760", 22.5170, 113.3927),
    "厦门": ("福建省厦门市", ["集美区", "海沧区", "翔安区"], "0592", 24.4798, 118.0894),
    "北京": ("北京市", ["亦庄经济技术开发区", "顺义区", "昌平区", "海淀区"], "010", 39.9042, 116.4074),
    "天津": ("天津市", ["滨海新区", "西青区", "武清区"], "022", 39.3434, 117.3616),
    "青岛": ("山东省青岛市", ["黄岛区", "城阳区", "即墨区"], "0532", 36.0671, 120.3826),
    "济南": ("山东省济南市", ["高新区", "历城区"], "0531", 36.6512, 117.1201),
    "石家庄": ("河北省石家庄市", ["高新区", "栾城区"], "0311", 38.0428, 114.5149),
    "大连": ("辽宁省大连市", ["金州区", "甘井子区"], "0411", 38.9140, 121.6147),
    "沈阳": ("辽宁省沈阳市", ["浑南区", "铁西区"], "024", 41.8057, 123.4315),
    "烟台": ("山东省烟台市", ["福山区", "开发区"], "0535", 37.4638, 121.4479),
}
ROADS = ["科技路", "创业大道", "工业大道", "兴业路", "长江路", "黄河路", "新华路", "金桥路", "高新大道",
         "园区一路", "发展大道", "东环路", "滨河路", "智造大道"]

# branch code -> (city, customer name); invented companies
CUSTOMERS = {
    "HQ": [
        ("苏州", "苏州华信精密电子有限公司"), ("苏州", "苏州晶创半导体科技有限公司"), ("苏州", "苏州吴江盛泽光电科技有限公司"),
    ],
    "EAST": [
        ("上海", "上海瑞丰电子科技有限公司"), ("上海", "上海申联汽车电子有限公司"), ("昆山", "昆山鼎新电子有限公司"),
        ("无锡", "无锡长江微电子有限公司"), ("杭州", "杭州海纳智能科技有限公司"), ("宁波", "宁波东方电器有限公司"),
        ("南京", "南京华瑞电子设备有限公司"), ("合肥", "合肥天成新能源科技有限公司"), ("常州", "常州远航汽车部件有限公司"),
        ("嘉兴", "嘉兴恒达电子有限公司"),
    ],
    "SOUTH": [
        ("深圳", "深圳市鸿光电子有限公司"), ("深圳", "深圳市华凯通信技术有限公司"), ("东莞", "东莞市盛达精密电子有限公司"),
        ("广州", "广州市粤星电器有限公司"), ("佛山", "佛山市顺意照明科技有限公司"), ("惠州", "惠州市博远电子有限公司"),
        ("珠海", "珠海市海川电子有限公司"), ("中山", "中山市美华电器有限公司"), ("厦门", "厦门鹭星电子有限公司"),
    ],
    "NORTH": [
        ("北京", "北京中科智控科技有限公司"), ("北京", "北京京源电子有限公司"), ("天津", "天津滨海汽车电子有限公司"),
        ("青岛", "青岛海岳电器有限公司"), ("济南", "济南泉城仪器仪表有限公司"), ("石家庄", "石家庄冀华电子有限公司"),
        ("大连", "大连港湾自动化设备有限公司"), ("沈阳", "沈阳北方精密制造有限公司"),
    ],
}
CUSTOMER_CODE_PREFIX = {"HQ": "CH", "EAST": "CE", "SOUTH": "CS", "NORTH": "CN"}
SITE_NAMES = ["一号厂区", "二号厂区", "SMT 车间", "总装车间", "研发中心", "新厂区"]
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹")
GIVEN_NAMES = ["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英",
               "建华", "志强", "海燕", "晓东", "丽华", "国庆", "文斌", "春梅", "建国", "卫东", "红霞", "子涵"]
CONTACT_TITLES = ["设备部经理", "生产主管", "工艺工程师", "设备工程师", "采购经理", "品质经理", "厂长"]
MOBILE_PREFIXES = ["138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "186", "187", "188",
                   "133", "153", "180", "181", "189"]


@dataclass(frozen=True)
class DemoModel:
    code: str
    name: str
    service_class: str
    warranty_months: int
    serial_prefix: str
    weight: int
    description: str


PRODUCT_MODELS = [
    DemoModel("RF-800", "全自动回流焊炉（8 温区）", "equipment", 12, "RF8", 12, "热风回流焊，8 上 8 下温区，双轨可选。"),
    DemoModel("RF-1000N", "氮气回流焊炉（10 温区）", "equipment", 18, "RFN", 6, "氮气保护回流焊，10 温区，含助焊剂回收。"),
    DemoModel("SM-421", "SMT 贴片机", "equipment", 12, "SM4", 10, "高速模组贴片机，4 悬臂 × 21 吸嘴。"),
    DemoModel("SP-600", "全自动锡膏印刷机", "equipment", 12, "SP6", 6, "视觉对位全自动锡膏印刷机。"),
    DemoModel("WS-350", "无铅波峰焊机", "equipment", 12, "WS3", 6, "双波峰无铅波峰焊，喷雾助焊剂系统。"),
    DemoModel("AOI-560", "在线 AOI 检测仪", "equipment", 12, "AO5", 6, "在线自动光学检测，炉前/炉后通用。"),
    DemoModel("TK-100", "设备维护成套工具", "tool_kit", 6, "TK1", 6, "回流焊/贴片机日常维护成套工具。"),
    DemoModel("TC-200", "炉温曲线测试仪（标准校准装置）", "tool_kit", 12, "TC2", 5, "6 通道炉温曲线测试与校准装置。"),
    DemoModel("HM-800", "加热模块（RF 系列）", "spare_part", 6, "HM8", 8, "RF-800/RF-1000N 通用热风加热模块。"),
    DemoModel("CC-800", "传送链条（RF 系列）", "spare_part", 3, "CC8", 5, "不锈钢传送链条，每条 6 m。"),
    DemoModel("MB-421", "控制主板（SM-421 用）", "spare_part", 6, "MB4", 5, "SM-421 运动控制主板。"),
]
QUANTITY = {"equipment": (1, 2), "tool_kit": (1, 3), "spare_part": (1, 4)}
CONTRACT_KINDS = [
    # title, parts, labour, on-site, preventive
    ("全保服务合同", True, True, True, True),
    ("设备维保协议", False, True, True, True),
    ("远程技术支持协议", False, True, False, False),
]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    display_name: str
    branch: str | None = "HQ"
    department: str | None = None
    engineer_city: str | None = None
    is_staff: bool = False
    is_superuser: bool = False


DEMO_LOGINS = [
    DemoLogin(R.CUSTOMER, R.CUSTOMER, "客户 陈建国", branch=None),
    DemoLogin(R.SERVICE_DESK, R.SERVICE_DESK, "服务台 王丽", department="SVC"),
    DemoLogin(R.SERVICE_MANAGER, R.SERVICE_MANAGER, "服务主管 李强", department="SVC"),
    DemoLogin(R.DISPATCHER, R.DISPATCHER, "调度 赵敏", department="SVC"),
    DemoLogin(R.FIELD_ENGINEER, R.FIELD_ENGINEER, "工程师 刘洋", department="SVC", engineer_city="苏州"),
    DemoLogin(R.BRANCH_STAFF, R.BRANCH_STAFF, "华东分公司 孙涛", branch="EAST", department="SVC"),
    DemoLogin(R.TECH_SUPPORT, R.TECH_SUPPORT, "技术支持 周杰", department="TSC"),
    DemoLogin(R.PROCESS_TECH, R.PROCESS_TECH, "工艺 吴芳", department="PTD"),
    DemoLogin(R.QUALITY, R.QUALITY, "品质 郑浩", department="QA"),
    DemoLogin(R.REPAIR, R.REPAIR, "维修 冯磊", department="PRD"),
    DemoLogin(R.PRODUCTION, R.PRODUCTION, "生产 陈静", department="PRD"),
    DemoLogin(R.WAREHOUSE, R.WAREHOUSE, "仓管 杨帆", department="WH"),
    DemoLogin(R.SALES, R.SALES, "业务 黄磊", department="BIZ"),
    DemoLogin(R.ENGINEERING, R.ENGINEERING, "技术部 林峰", department="ENG"),
    DemoLogin(R.GM_OFFICE, R.GM_OFFICE, "总经办 何敏", department="GMO"),
    DemoLogin(R.SYSADMIN, R.SYSADMIN, "系统管理员 高翔", department="GMO", is_staff=True),
]
ADMIN_LOGIN = DemoLogin("", ADMIN_USERNAME, "超级管理员", is_staff=True, is_superuser=True)
# more field engineers for dispatch (same password): username, name, branch, home base city
MORE_ENGINEERS = [
    ("eng_sz1", "张建军", "HQ", "苏州"),
    ("eng_sh1", "徐海峰", "EAST", "上海"),
    ("eng_hz1", "沈立新", "EAST", "杭州"),
    ("eng_sz2", "梁志明", "SOUTH", "深圳"),
    ("eng_dg1", "邓国华", "SOUTH", "东莞"),
    ("eng_bj1", "田文斌", "NORTH", "北京"),
    ("eng_tj1", "曹振宇", "NORTH", "天津"),
    ("eng_qd1", "孔德胜", "NORTH", "青岛"),
]
# Chinese role names for the logins table, used when no translation is compiled yet
ROLE_LABELS_ZH = {
    R.CUSTOMER: "客户", R.SERVICE_DESK: "服务台", R.SERVICE_MANAGER: "服务主管", R.DISPATCHER: "调度员",
    R.FIELD_ENGINEER: "现场服务工程师", R.BRANCH_STAFF: "销售分公司人员", R.TECH_SUPPORT: "技术支持中心",
    R.PROCESS_TECH: "工艺技术部", R.QUALITY: "品质部", R.REPAIR: "维修工程师", R.PRODUCTION: "生产部",
    R.WAREHOUSE: "仓管部/备件管理", R.SALES: "业务部", R.ENGINEERING: "技术部", R.GM_OFFICE: "总经办",
    R.SYSADMIN: "系统管理员",
}


class Seeder:
    """Builds the demo company. One instance per run; call ``run()`` inside a transaction."""

    def __init__(self, *, seed: int = 1, today: dt.date | None = None, units: int = DEFAULT_UNITS):
        self.rng = random.Random(seed)
        self.today = today or timezone.localdate()
        self.units_wanted = units
        self.counts: Counter[str] = Counter()
        self.actor: User | None = None
        self.branches: dict[str, Branch] = {}
        self.departments: dict[str, Department] = {}
        self.skills: dict[str, Skill] = {}
        self.models: dict[str, Any] = {}
        self.customers: list[Any] = []
        self.sites: dict[int, list[Any]] = {}
        self.units_by_customer: dict[int, list[Any]] = {}
        self.created_usernames: list[str] = []
        self.logins_by_role: dict[str, User] = {}

    # -- helpers ------------------------------------------------------------------------------
    def _mobile(self) -> str:
        return self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def _person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN_NAMES)

    def _address(self, city: str) -> str:
        province, districts, _area, _lat, _lng = CITIES[city]
        return f"{province}{self.rng.choice(districts)}{self.rng.choice(ROADS)}{self.rng.randint(1, 999)}号"

    def _coords(self, city: str) -> tuple[Decimal, Decimal]:
        _p, _d, _a, lat, lng = CITIES[city]
        lat += self.rng.uniform(-0.08, 0.08)
        lng += self.rng.uniform(-0.08, 0.08)
        return Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")

    def _at(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(10, 0), tzinfo=timezone.get_current_timezone())

    def _by(self, obj: Any) -> Any:
        obj._history_user = self.actor  # django-simple-history records who made the change
        return obj

    # -- steps --------------------------------------------------------------------------------
    def run(self) -> Counter[str]:
        from .roles import sync_roles

        sync_roles()
        self.organisation()
        self.admin_user()
        self.work_calendars()
        self.product_models()
        self.customer_base()
        self.installed_base()
        self.contracts()
        self.logins()
        self.engineers()
        self.set_passwords()
        self.service_loop()
        self.spare_parts()
        return self.counts

    def organisation(self) -> None:
        from .services import branch_save, department_save, skill_save

        for code, name, region, city, hq in BRANCHES:
            branch = Branch.objects.filter(code=code).first() or branch_save(
                user=None, instance=Branch(code=code, name=name, region=region, city=city, is_headquarters=hq)
            )
            self.branches[code] = branch
        for code, name in DEPARTMENTS:
            self.departments[code] = Department.objects.filter(code=code).first() or department_save(
                user=None, instance=Department(code=code, name=name)
            )
        for code, name in SKILLS:
            self.skills[code] = Skill.objects.filter(code=code).first() or skill_save(
                user=None, instance=Skill(code=code, name=name)
            )

    def _login(self, spec: DemoLogin, *, customer: Any = None) -> User:
        from .services import user_create

        existing = User.objects.filter(username=spec.username).first()
        if existing is not None:
            self.counts["logins kept"] += 1
            return existing
        user = user_create(
            actor=self.actor, username=spec.username, display_name=spec.display_name,
            roles=[spec.role] if spec.role else [], password=None,
            branch=self.branches[spec.branch] if spec.branch else None,
            department=self.departments[spec.department] if spec.department else None,
            customer=customer, phone=self._mobile(), email=f"{spec.username}@example.com",
            is_staff=spec.is_staff, is_superuser=spec.is_superuser,
        )
        self.counts["logins"] += 1
        self.created_usernames.append(user.username)
        return user

    def admin_user(self) -> None:
        self.actor = self._login(ADMIN_LOGIN)

    def work_calendars(self) -> None:
        from serviceloop.core.models import WorkCalendar

        if WorkCalendar.objects.exists():
            return
        WorkCalendar.objects.create(code="STD", name="标准工作日历", is_default=True, updated_by=self.actor)
        WorkCalendar.objects.create(code="24X7", name="7×24 小时", round_the_clock=True, updated_by=self.actor)

    def product_models(self) -> None:
        from serviceloop.assets.models import ProductModel
        from serviceloop.assets.services import product_model_save

        for m in PRODUCT_MODELS:
            self.models[m.code] = ProductModel.objects.filter(code=m.code).first() or product_model_save(
                user=self.actor,
                instance=self._by(ProductModel(
                    code=m.code, name=m.name, service_class=m.service_class, warranty_months=m.warranty_months,
                    description=m.description,
                )),
            )
            self.counts["product models"] += 1

    def customer_base(self) -> None:
        from serviceloop.customers.models import Contact, Customer, Site
        from serviceloop.customers.services import contact_save, customer_save, site_save

        for branch_code, entries in CUSTOMERS.items():
            for index, (city, name) in enumerate(entries, start=1):
                level = self.rng.choices(["A", "B", "C"], weights=[2, 4, 4])[0]
                _p, _d, area, _lat, _lng = CITIES[city]
                customer = customer_save(user=self.actor, instance=self._by(Customer(
                    code=f"{CUSTOMER_CODE_PREFIX[branch_code]}{index:03d}", name=name, level=level,
                    branch=self.branches[branch_code], address=self._address(city),
                    phone=f"{area}-{self.rng.randint(5000_0000, 8999_9999)}",
                )))
                self.customers.append(customer)
                self.counts["customers"] += 1
                sites = []
                n_sites = self.rng.choices([1, 2, 3], weights=[5, 3, 1])[0]
                for site_name in self.rng.sample(SITE_NAMES, n_sites):
                    site_city = city
                    if len(sites) == 2:  # a third site is a plant in another city of the region
                        site_city = self.rng.choice([e[0] for e in entries])
                        site_name = f"{site_city}分厂" if site_city != city else site_name
                    lat, lng = self._coords(site_city)
                    sites.append(site_save(user=self.actor, instance=self._by(Site(
                        customer=customer, name=site_name, city=site_city, address=self._address(site_city),
                        latitude=lat, longitude=lng,
                    ))))
                    self.counts["sites"] += 1
                self.sites[customer.pk] = sites
                for n in range(self.rng.choices([1, 2, 3], weights=[3, 4, 2])[0]):
                    contact_save(user=self.actor, instance=self._by(Contact(
                        customer=customer, site=self.rng.choice(sites) if n else None, name=self._person(),
                        title=self.rng.choice(CONTACT_TITLES), phone=self._mobile(), is_primary=n == 0,
                    )))
                    self.counts["contacts"] += 1

    def _unit_dates(self, model: DemoModel, order_date: dt.date) -> dict[str, Any]:
        rng, today = self.rng, self.today
        day = lambda lo, hi: dt.timedelta(days=rng.randint(lo, hi))  # noqa: E731
        if model.service_class == "equipment":
            ship = order_date + day(20, 60)
            install = ship + day(3, 15)
            acceptance = install + day(10, 60)
        elif model.service_class == "tool_kit":
            ship, install, acceptance = order_date + day(5, 20), None, None
        else:
            ship, install, acceptance = order_date + day(2, 10), None, None
        status = "in_service"
        if ship > today:
            ship, install, acceptance, status = None, None, None, "in_stock"
        if install and install > today:
            install, acceptance = None, None
        if acceptance and acceptance > today:
            acceptance = None
        if model.service_class == "spare_part" and ship and (today - ship).days > 900 and rng.random() < 0.3:
            status = "scrapped"
        return {"ship_date": ship, "install_date": install, "acceptance_date": acceptance, "status": status}

    def installed_base(self) -> None:
        from serviceloop.assets.models import SalesOrder, Unit
        from serviceloop.assets.services import sales_order_save, unit_save
        from serviceloop.core.numbering import next_number

        rng = self.rng
        weights = [{"A": 4, "B": 2, "C": 1}[c.level] for c in self.customers]
        by_class: dict[str, list[DemoModel]] = {}
        for m in PRODUCT_MODELS:
            by_class.setdefault(m.service_class, []).append(m)
        # draw the orders first, then create them in date order so SO numbers ascend with the date
        orders: list[tuple[dt.date, Any, list[tuple[DemoModel, int]]]] = []
        planned = 0
        earliest, latest = self.today - dt.timedelta(days=4 * 365), self.today - dt.timedelta(days=30)
        while planned < self.units_wanted:
            customer = rng.choices(self.customers, weights=weights)[0]
            order_date = earliest + dt.timedelta(days=rng.randint(0, (latest - earliest).days))
            lines = []
            for n in range(rng.choices([1, 2, 3], weights=[5, 3, 1])[0]):
                service_class = "equipment" if n == 0 and rng.random() < 0.7 else rng.choices(
                    ["equipment", "tool_kit", "spare_part"], weights=[4, 2, 4])[0]
                candidates = by_class[service_class]
                model = rng.choices(candidates, weights=[m.weight for m in candidates])[0]
                quantity = min(rng.randint(*QUANTITY[service_class]), self.units_wanted - planned)
                if quantity <= 0:
                    break
                lines.append((model, quantity))
                planned += quantity
            if lines:
                orders.append((order_date, customer, lines))
        orders.sort(key=lambda o: (o[0], o[1].code))
        serial_seq: Counter[str] = Counter()
        for order_date, customer, lines in orders:
            line_data = []
            for model, quantity in lines:
                serials = []
                for _i in range(quantity):
                    serial_seq[model.code] += 1
                    serials.append(f"{model.serial_prefix}-{order_date:%y%m}-{serial_seq[model.code]:04d}")
                line_data.append({"product_model": self.models[model.code], "quantity": quantity,
                                  "serial_numbers": "\n".join(serials), "demo": model})
            order = sales_order_save(
                user=self.actor,
                instance=self._by(SalesOrder(number=next_number("SO", at=self._at(order_date)), customer=customer,
                                             order_date=order_date)),
                lines=line_data,
            )
            self.counts["sales orders"] += 1
            sites = self.sites[customer.pk]
            for line, data in zip(order.lines.order_by("line_no"), line_data, strict=True):
                self.counts["sales order lines"] += 1
                model = data["demo"]
                for serial in line.serial_list():
                    dates = self._unit_dates(model, order_date)
                    on_site = model.service_class == "equipment" or rng.random() < 0.5
                    unit = unit_save(user=self.actor, instance=self._by(Unit(
                        serial_number=serial, product_model=self.models[model.code], customer=customer,
                        site=rng.choice(sites) if on_site and dates["ship_date"] else None, so_line=line, **dates,
                    )))
                    self.units_by_customer.setdefault(customer.pk, []).append(unit)
                    self.counts["units"] += 1

    def _equipment(self, customer: Any) -> list[Any]:
        return [u for u in self.units_by_customer.get(customer.pk, [])
                if u.product_model.service_class == "equipment" and u.warranty_end]

    def _contract(self, customer: Any, start: dt.date) -> dt.date | None:
        """One year of contract from ``start`` for the customer's equipment delivered by then."""
        from serviceloop.assets.models import ServiceContract
        from serviceloop.assets.services import contract_save
        from serviceloop.assets.warranty import add_months
        from serviceloop.core.numbering import next_number

        rng, today = self.rng, self.today
        end = add_months(start, 12) - dt.timedelta(days=1)
        covered = [u for u in self._equipment(customer) if u.warranty_start <= start]
        if not covered:
            return None
        title, parts, labour, onsite, preventive = rng.choice(CONTRACT_KINDS)
        sla = {"A": rng.choice(["24x7", "priority"]), "B": rng.choice(["priority", "standard"]),
               "C": "standard"}[customer.level]
        price = sum(rng.randint(8, 30) * 1000 for _u in covered) * (2 if parts else 1)
        contract_save(
            user=self.actor,
            instance=self._by(ServiceContract(
                number=next_number("SC", at=self._at(min(start - dt.timedelta(days=15), today))),
                customer=customer, title=f"{start:%Y}年度{title}", start_date=start, end_date=end,
                covers_parts=parts, covers_labour=labour, covers_onsite=onsite,
                covers_preventive=preventive, sla_level=sla, price=Decimal(price),
            )),
            units=covered,
        )
        state = "future" if start > today else ("expired" if end < today else "in date")
        self.counts[f"contracts {state}"] += 1
        return end

    def contracts(self) -> None:
        from serviceloop.assets.warranty import add_months

        rng, today = self.rng, self.today
        for customer in self.customers:
            equipment = self._equipment(customer)
            if not equipment or rng.random() > {"A": 0.9, "B": 0.6, "C": 0.3}[customer.level]:
                continue
            start = add_months(min(u.warranty_end for u in equipment).replace(day=1), 1)
            if rng.random() < 0.3:  # some customers sign only after a while out of warranty
                start = add_months(start, rng.randint(2, 10))
            while start <= today + dt.timedelta(days=180):  # renewals are signed ahead
                end = self._contract(customer, start) or add_months(start, 12) - dt.timedelta(days=1)
                if rng.random() > 0.8:  # not renewed
                    break
                start = end + dt.timedelta(days=1)
        self._contract_mix()

    def _contract_mix(self) -> None:
        """Make sure the demo shows a contract in date, an expired one and a future one."""
        today = self.today
        with_equipment = [c for c in self.customers if self._equipment(c)]
        if not with_equipment:
            return
        oldest = min(with_equipment, key=lambda c: min(u.warranty_start for u in self._equipment(c)))
        first_start = min(u.warranty_start for u in self._equipment(oldest))
        if not self.counts["contracts expired"] and first_start < today - dt.timedelta(days=400):
            self._contract(oldest, first_start + dt.timedelta(days=1))
        if not self.counts["contracts in date"]:
            self._contract(oldest, max(first_start, today - dt.timedelta(days=30)))
        if not self.counts["contracts future"]:
            newest = min(with_equipment, key=lambda c: (-max(u.warranty_start for u in self._equipment(c)), c.code))
            start = max(max(u.warranty_start for u in self._equipment(newest)), today) + dt.timedelta(days=30)
            self._contract(newest, start)

    def logins(self) -> None:
        east = self.branches["EAST"].pk
        east_customers = [c for c in self.customers if c.branch_id == east]
        portal = max(east_customers, key=lambda c: (len(self.units_by_customer.get(c.pk, [])), c.code))
        for spec in DEMO_LOGINS:
            user = self._login(spec, customer=portal if spec.role == R.CUSTOMER else None)
            self.logins_by_role[spec.role] = user

    def _engineer(self, user: User, city: str) -> None:
        from .services import engineer_profile_save

        if EngineerProfile.objects.filter(user=user).exists():
            return
        lat, lng = self._coords(city)
        codes = self.rng.sample([c for c, _n in SKILLS], self.rng.randint(2, 4))
        engineer_profile_save(
            user=self.actor,
            instance=self._by(EngineerProfile(user=user, home_city=city, home_latitude=lat, home_longitude=lng,
                                              phone=user.phone or self._mobile())),
            skills={self.skills[c]: self.rng.randint(2, 5) for c in codes},
        )
        self.counts["engineer profiles"] += 1

    def engineers(self) -> None:
        spec = next(s for s in DEMO_LOGINS if s.role == R.FIELD_ENGINEER)
        self._engineer(self.logins_by_role[R.FIELD_ENGINEER], spec.engineer_city or "苏州")
        for username, name, branch, city in MORE_ENGINEERS:
            user = self._login(DemoLogin(R.FIELD_ENGINEER, username, name, branch=branch, department="SVC"))
            self._engineer(user, city)

    def service_loop(self) -> None:
        """Requests, work orders, signed reports and follow-ups in every state (serviceloop/service/demo.py)."""
        from serviceloop.service.demo import seed_service_demo

        seed_service_demo(self)

    def spare_parts(self) -> None:
        """Catalogue, stock in every location, requisitions in every state (serviceloop/parts/demo.py)."""
        from serviceloop.parts.demo import seed_parts_demo

        seed_parts_demo(self)

    def set_passwords(self) -> None:
        """One hash for the logins created by this run (hashing ~25 times would dominate the run time).

        Logins that existed before keep their own password.
        """
        if self.created_usernames:
            User.objects.filter(username__in=self.created_usernames).update(password=make_password(DEMO_PASSWORD))


def seed_demo(*, seed: int = 1, today: dt.date | None = None, units: int = DEFAULT_UNITS) -> Counter[str]:
    """Create the demo company in one transaction; returns what was created, by kind."""
    with transaction.atomic():
        return Seeder(seed=seed, today=today, units=units).run()


def role_label_zh(role: str) -> str:
    from django.utils import translation

    with translation.override("en"):
        english = R.role_label(role)
    with translation.override("zh-hans"):
        chinese = R.role_label(role)
    return chinese if chinese != english else ROLE_LABELS_ZH.get(role, english)


def demo_login_rows() -> list[dict[str, str]]:
    """The demo logins present in this database: role labels, user name, password, scope."""
    specs = [ADMIN_LOGIN, *DEMO_LOGINS]
    users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in specs])
             .select_related("branch", "customer")}
    rows = []
    for spec in specs:
        user = users.get(spec.username)
        if user is None:
            continue
        with translation.override("en"):
            row = _english_row(spec, user)
        rows.append({**row, "role_zh": role_label_zh(spec.role) if spec.role else "超级管理员",
                     "username": spec.username, "password": DEMO_PASSWORD, "name": str(user)})
    return rows


def _english_row(spec: Any, user: Any) -> dict[str, str]:
    """Role and scope in English: the README's table has a column for each language."""
    if user.is_superuser:
        scope = _("everything, including /admin/")
    elif user.customer_id:
        scope = _("own company only: %(customer)s") % {"customer": user.customer}
    elif user.branch_id and not user.branch.is_headquarters:
        scope = _("own region only: %(branch)s") % {"branch": user.branch}
    else:
        scope = _("all records (headquarters)")
    return {"role_en": str(R.role_label(spec.role) if spec.role else _("Superuser")), "scope": str(scope)}
